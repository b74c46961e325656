"""Generates ``docs/plugin-api.md``, the plugin API reference, from the hookspecs themselves.

    python -m qudao.core.plugins.docs            # rewrite docs/plugin-api.md
    python -m qudao.core.plugins.docs --check    # exit 1 when the page is stale

``tests/test_plugin_api_docs.py`` fails when the committed page differs from what this renders,
so a hook that is added, changed (signature, docstring) or left undocumented fails the suite.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from types import ModuleType

from qudao.core import plugin_api
from qudao.core.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "plugin-api.md"

INTRO = """\
# Qudao plugin API {version}

Generated from `core/plugins/hookspecs.py` by `python -m qudao.core.plugins.docs`; do not edit by
hand (`tests/test_plugin_api_docs.py` fails when this page is stale). The guide with an example is
README.md, "Writing a plugin"; `qudao plugin new NAME` writes a ready package.

A plugin is a pip package with an entry point in the `qudao.plugins` group whose object carries a
`PluginMeta` (its `api` range must include {version}, or the plugin is refused at start with one
line naming it, its range and this version) and implements some of the hooks below with
`@hookimpl`. Hooks are called only for the plugins enabled for the current tenant. `ctx` is a
`TenantContext`.

**When a plugin raises** in a hook, the failure is logged (`plugin_hook_failed`, with the plugin's
name and the hook) and the request goes on without that plugin's result; a veto hook fails closed
(a `plugin_failed` violation refuses the order), a restricting hook hides everything it would have
filtered, and a database error (which breaks the transaction) answers 503 with nothing changed.

Besides hooks, a plugin's folder (`PluginMeta.package_dir`) may hold `migrations/` (its own Alembic
environment and version table), `templates/<plugin>/` (pages may extend `"admin/layout.html"` or
`"store/layout.html"` and use `_()`; an admin or store page may extend `"admin/_plugin_page.html"`
or `"store/_plugin_page.html"`, which put its `style` block, then its `page_title` (or its
`heading` block) as the heading, include the template named by `section_nav` when set (admin),
fill `body`, and give it the `list_table` and `post_form` macros of `"_table.html"` and
`"_post_form.html"`), `static/` (served at `/static/plugins/<plugin>/`) and
`locales/{{zh_CN,en}}/LC_MESSAGES/messages.po`. Its tests use the test kit, `qudao.testing`.
"""


def hook_functions(module: ModuleType = hookspecs) -> list[tuple[str, object]]:
    return [(name, fn) for name, fn in inspect.getmembers(module, inspect.isfunction)
            if name.startswith("qudao_") and fn.__module__ == module.__name__]


def _signature(name: str, fn: object) -> str:
    try:
        sig = inspect.signature(fn, eval_str=True)  # type: ignore[arg-type]
    except NameError:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
    return f"{name}{sig}".replace("typing.", "")


def _hook(module: ModuleType, name: str, fn: object) -> tuple[list[str], list[str]]:
    doc = inspect.cleandoc(fn.__doc__ or "")  # type: ignore[attr-defined]
    if not doc:
        raise ValueError(f"hookspec {name} has no docstring: say when it is called and what it returns")
    sync, veto = getattr(module, "SYNC_HOOKS", frozenset()), getattr(module, "VETO_HOOKS", frozenset())
    restricting = getattr(module, "RESTRICTING_HOOKS", frozenset())
    opts = getattr(fn, "qudao_spec", {}) or {}
    may_async = "no (a plain function)" if name in sync else "yes"
    may_veto = "yes: its violations refuse the operation" if name in veto else "no"
    on_error = ("refused with a `plugin_failed` violation" if name in veto
                else "the buyer sees nothing it would have filtered" if name in restricting
                else "its result is skipped, the request goes on")
    summary = " ".join(doc.split("\n\n", 1)[0].split())
    row = f"| `{name}` | {'yes' if name in veto else 'no'} | {'no' if name in sync else 'yes'} | {summary} |"
    section = [f"### `{name}`", "", "```python", _signature(name, fn), "```", "",
               doc, "",
               f"- may veto: {may_veto}",
               f"- may be `async def`: {may_async}",
               f"- results: {'the first non-None result wins' if opts.get('firstresult') else 'a list, one per plugin'}",
               f"- when it raises: {on_error}", ""]
    return [row], section


HELPERS = {
    "API_VERSION": "the host's plugin API version (a string such as `\"1.0\"`)",
    "Adjustment": "an order-level change a plugin returns from `qudao_order_adjustments` "
                  "(`source`, `label`, negative `amount`)",
    "Base": "the SQLAlchemy declarative base; a plugin's models use it so `qudao db upgrade` migrates them",
    "Cart": "the quote/order as it flows through checkout: `lines`, `subtotal`, `discount`, `total`, "
            "`violations`, `info`",
    "CartLine": "one line of a `Cart`: `product`, `qty`, `unit_price`, `source`, `source_label`, `gift`",
    "GiftLine": "a gift a plugin returns from `qudao_order_adjustments` (`source`, `sku`, `qty`, `label`)",
    "Panel": "a panel a plugin returns from `qudao_dashboard_panels` / `qudao_storefront_panels` (`title`, "
             "`template`, `context`, `order`, `url`)",
    "OrderFact": "a fact about an order a plugin returns from `qudao_order_facts` (`label`, `value`, `tone`, `url`)",
    "Todo": "a dashboard to-do count a plugin returns from `qudao_dashboard_todos` (`label`, `count`, `url`, "
            "`icon`, `order`)",
    "PluginMeta": "what the plugin is: `name`, `title`, `version`, `api` range, `requires`, `settings`, "
                  "`package_dir` (finds migrations/, templates/, static/, locales/), `actors`, and the fixed "
                  "menu entries `admin_menu` / `storefront_menu` (`((label, path), …)`, served by `RoutedPlugin`)",
    "RoutedPlugin": "a base class for a plugin defined in its package's `__init__`: serves the `HANDLERS` of the "
                    "package's `api` and `pages` modules and the menus its `meta` declares (admin: to staff; "
                    "storefront: to buyers with `ctx.customer`), and defaults `package_dir` to the package's "
                    "folder; a menu hook the plugin implements itself replaces the declared entries",
    "Setting": "one field of the plugin's settings schema (rendered as a form, validated on save)",
    "TenantContext": "what a hook gets as `ctx`: `tenant`, `session`, `user`, `customer`, `guest`, "
                     "`settings(name)`, `is_enabled(name)`",
    "TenantOwned": "a mixin for tenant-owned tables: the session filters and stamps `tenant_id`; "
                   "row-level security covers the table. A table whose rows each belong to one row of a "
                   "parent (an order's lines) may set `__tenant_parent__ = \"orders\"` beside a non-null "
                   "`tenant_ref(\"orders\", ondelete=\"CASCADE\")` column: its `tenant_id` then has no "
                   "key of its own to `tenants`, which PostgreSQL would check by locking the tenant's row "
                   "for every row inserted",
    "CatalogVisibility": "a mixin marking a model whose rows decide which products a buyer sees (what your "
                         "`qudao_product_criteria` reads): a change to one bumps the tenant's catalog version, "
                         "so cached catalog listings are read again",
    "bump_catalog": "`bump_catalog(session)`: note that the current transaction changes what buyers see, for "
                    "writes that bypass the ORM (raw SQL, `add_rows`) into a `CatalogVisibility` table",
    "Violation": "a refusal (`code`, `message`) returned by veto hooks",
    "add_rows": "queue plain rows for a table (`add_rows(session, Model, [dict, …])`); they are written before "
                "the transaction's next flush, statement or commit, on PostgreSQL in one statement with every "
                "other queued row (hot paths: fewer round trips than one ORM INSERT per table)",
    "independent": "mark a statement that neither reads nor refers to queued rows (`independent(update(…))`: "
                   "a lock or conditional UPDATE of another table's row): queued rows are not written before "
                   "it, so an order's rows and yours still go out as one statement at commit",
    "prepared": "decorate a statement builder whose arguments are the statement's shape (never values): the "
                "statement is built once per shape and values go as `bindparam`s at execute time; ORM ones get "
                "the tenant filter once per tenant (core/db/prepared.py; hot paths: building a statement costs "
                "more CPU than running it). A Core statement must name its tenant (`tenant_is`, `tenant_filtered`) "
                "or it is refused when built. Never derive a statement from a prepared one",
    "run": "`await run(session, stmt, **params)`: execute a prepared statement with the session's tenant "
           "bound as `:bound_tenant` (a tenant that matches nothing when none is bound)",
    "tenant_filtered": "mark a prepared Core statement whose WHERE has `tenant_is(table)`, so the ORM's tenant "
                       "filter is not added to it",
    "tenant_is": "`table.c.tenant_id = :bound_tenant` for a prepared Core statement (filled in by `run`)",
    "audit": "`audit(session, action, target, before, after, user_id=, user_email=)`: write a staff change "
             "(money, prices, credit, stock, permissions) to the tenant's audit log in the current transaction",
    "enqueue_after_commit": "queue a job to be sent only when the current transaction commits",
    "transaction_note": "`transaction_note(session, key, default_factory)`: a value kept for the current "
                        "transaction only (dropped at commit or rollback), e.g. a read to reuse between a "
                        "validation and the placement hook of the same order",
    "fmt": "format money as the contract's decimal string",
    "gather_hook": "call another hook (e.g. one your plugin defines for others) with async implementations "
                   "awaited and failures isolated",
    "hookimpl": "the decorator that marks a hook implementation",
    "job": "declare a background job `@job(\"<plugin>.<job>\", plugin=\"<plugin>\")` on "
           "`async def f(ctx, **ids)`",
    "new_id": "a new time-ordered 64-bit id (primary keys of plugin tables)",
    "parse_money": "parse client-supplied money (floats refused) to `Decimal`",
    "render_page": "`render_page(ctx, \"<plugin>/page.html\", **context)`: a page handler's response in the "
                   "app's layout (menus, locale)",
    "quantize": "round a `Decimal` to a currency's minor unit, half up",
    "tenant_fk": "a foreign key to another tenant-owned table, always including `tenant_id`",
    "tenant_ref": "a column referring to a row of another tenant-owned table, its `tenant_fk` said with it: "
                  "`tier_id: Mapped[int] = tenant_ref(\"tiers\", ondelete=\"CASCADE\")`",
    "utcnow": "the current time in UTC (timezone-aware)",
    "to_minor": "`to_minor(amount, currency)`: `Decimal` money to integer minor units (fen), rounded "
                "half up; for balances a conditional SQL UPDATE compares",
    "from_minor": "`from_minor(minor, currency)`: integer minor units back to `Decimal` money",
    # column kinds (core/db/columns.py): `code: Mapped[Code]`; `Mapped[Code | None]` is the nullable one,
    # and a `mapped_column(...)` on the right adds to it (`index=True`, `default=...`)
    "Code": "column kind: a tenant's own code (SKU, customer, coupon …), `String(64)`",
    "Name": "column kind: a display name, `String(200)`",
    "OrderNumber": "column kind: an order's number as people read it, `String(40)`",
    "Email": "column kind: an email address, `String(254)`",
    "Currency": "column kind: an ISO 4217 currency code, `String(3)`",
    "Note": "column kind: free text a person wrote, `String(500)`, `\"\"` by default",
    "Int32": "column kind: a plain `INTEGER` (a `Mapped[int]` alone is a `BIGINT`, as ids and `*_minor` "
             "amounts are)",
    "Count": "column kind: an `INTEGER` starting at 0",
    "Json": "column kind: a JSON object with no default (`Mapped[Json | None]`)",
    "JsonDict": "column kind: a JSON object, `{}` by default",
    "JsonList": "column kind: a JSON list, `[]` by default: `Mapped[JsonList[str]]`",
    "CreatedAt": "column kind: the UTC time the row was written",
    "UpdatedAt": "column kind: the UTC time the row was written, moved on by every ORM update",
    "CustomerRef": "column kind: a customer's id with its tenant foreign key, `ON DELETE CASCADE` (the row goes "
                   "with the customer); `Mapped[CustomerRef | None]` where it may be absent",
    "OrderRef": "column kind: an order's id with its tenant foreign key, `ON DELETE CASCADE`",
    "ProductRef": "column kind: a product's id with its tenant foreign key, `ON DELETE CASCADE`",
    "TierRef": "column kind: a customer tier's id with its tenant foreign key, `ON DELETE CASCADE`",
    "UserRef": "column kind: a login's id with its tenant foreign key, `ON DELETE CASCADE`",
    "Timestamps": "a mixin adding `created_at` and `updated_at`; list it before `TenantOwned` in the bases",
    "ActiveTimestamps": "a mixin adding `active` (true by default) and the `Timestamps`",
    "Created": "a mixin adding `created_at`, stamped when the row is written, after the class's own columns",
    "ProductScope": "a mixin adding a rule's product scope: `skus`, `categories`, `brands` (JSON lists of codes; "
                    "any matching is enough, all empty covers every product)",
    "BuyerScope": "a mixin adding a rule's buyer scope by profile: `customer_types`, `regions` (JSON lists; each "
                  "non-empty one must match)",
    "TierOrCustomer": "a mixin adding who a row is for: `tier_id` or `customer_id` (both nullable references, "
                      "`ON DELETE CASCADE`)",
    "CustomerBalance": "a mixin for a customer's account: `customer_id` (first) and `balance_minor` (0 by default), "
                       "with their unique key and `balance_minor >= 0` CHECK as its `__table_args__`",
    "AccountMovement": "a mixin for an account's ledger line: `account_id` (to the table named by the class's "
                       "`__account_table__`), `customer_id`, `kind`, `amount_minor`, `balance_minor` first; "
                       "`user_email` and `at` last",
    "Coded": "a mixin adding `code` (unique per tenant: it brings that key as its `__table_args__`) and "
             "`name`, first in the table",
}


def _helpers() -> list[str]:
    lines = ["## Stable helpers", "",
             "Import these, and only these, from `qudao.core.plugin_api`; they keep working within the",
             "API's major version. Anything else in `qudao.*` is private and may change without notice.", "",
             "| name | what it is |", "|---|---|"]
    for name in sorted(plugin_api.__all__, key=str.lower):
        if name not in HELPERS:
            raise ValueError(f"describe qudao.core.plugin_api.{name} in HELPERS ({__file__})")
        lines.append(f"| `{name}` | {HELPERS[name]} |")
    return [*lines, ""]


def render(module: ModuleType = hookspecs) -> str:
    rows, sections = [], []
    for name, fn in hook_functions(module):
        row, section = _hook(module, name, fn)
        rows += row
        sections += section
    out = [INTRO.format(version=module.API_VERSION), "## Hooks", "",
           "| hook | may veto | may be async | what |", "|---|---|---|---|", *rows, "", *sections,
           *_helpers()]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is stale: run python -m qudao.core.plugins.docs", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
