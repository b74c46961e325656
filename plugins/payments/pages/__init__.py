"""Payments pages.

Storefront (buyer): ``/payments/orders`` (what is still to pay), ``/payments/orders/{number}``
(pay by card — a test-mode confirmation flow against the Stripe double, including the 3-D Secure
step — by prepaid balance, or choose credit terms), ``/payments/balance``, ``/payments/account``
(a distributor onboards its Connect account).

Admin (staff): ``/admin/payments`` (recent payments, search), ``/admin/payments/orders/{number}``
(payments, refunds, bank transfers, settlement lines), ``/admin/payments/settlement`` (per period,
what each party received / is pending), ``/admin/payments/reconciliation`` (ledger vs Stripe),
``/admin/payments/rules`` (split form), ``/admin/payments/accounts`` (onboarding),
``/admin/payments/balances`` (top-ups).

Every POST redirects (post/redirect/get); a refusal comes back as ``?error=`` on the page, so a
page is never rendered from a session that a refused write rolled back.
"""

from qudao.plugins.payments.pages.admin import (
    admin_accounts,
    admin_accounts_onboard,
    admin_balances,
    admin_bank_transfer,
    admin_home,
    admin_order,
    admin_reconciliation,
    admin_refund,
    admin_rules,
    admin_rules_save,
    admin_settlement,
    admin_sync,
    admin_topup,
)
from qudao.plugins.payments.pages.store import (
    my_account,
    my_account_onboard,
    my_balance,
    my_orders,
    pay_balance,
    pay_card,
    pay_card_authenticate,
    pay_credit,
    pay_page,
)

HANDLERS = [my_orders, pay_page, pay_card, pay_card_authenticate, pay_balance, pay_credit, my_balance, my_account,
            my_account_onboard, admin_home, admin_order, admin_bank_transfer, admin_refund, admin_settlement,
            admin_reconciliation, admin_sync, admin_rules, admin_rules_save, admin_accounts, admin_accounts_onboard,
            admin_balances, admin_topup]
