"""Reports over orders, one module per report; each takes a session and a time window.

Sales are orders that were not rejected or cancelled, counted on the day they
were placed (:mod:`.window`). ``sales.sales_report`` puts the sales reports together for the
admin's reports page and its Excel download; ``charts`` draws them.
"""

from qudao.core.reports.charts import bar_chart
from qudao.core.reports.sales import SalesReport, report_xlsx, sales_report
from qudao.core.reports.window import NOT_SALES, window

__all__ = ["NOT_SALES", "SalesReport", "bar_chart", "report_xlsx", "sales_report", "window"]
