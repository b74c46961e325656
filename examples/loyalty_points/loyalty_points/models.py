"""One row per order that earned points (removed when the order is cancelled or rejected)."""

from qudao.core.plugin_api import Base, TenantOwned, tenant_fk
from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column


class PointsEntry(TenantOwned, Base):
    __tablename__ = "loyalty_points_entries"
    __table_args__ = (tenant_fk("order_id", "orders", ondelete="CASCADE"),
                      tenant_fk("customer_id", "customers", ondelete="CASCADE"))

    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(Integer)
