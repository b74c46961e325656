"""bench/RESULTS.md from one run of ``bench/run.py``: every section's table and what it measured.
Hand-written sections (and bench/orders.py's) below ``KEEP_MARKER`` are kept.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from common import Plan, Results

KEEP_MARKER = "<!-- kept by bench/run.py: everything below -->"


def ratio(results: Results) -> list[str]:
    """Orders/s at 8 buyers over the pgbench read/write TPS of the same run (the comparable figure)."""
    tps = results.sections.get("_tps", [])
    load = [line for line in results.sections.get("load", []) if line.startswith("| 8 |")]
    if not (tps and load):
        return []
    ops = float(load[0].split("|")[3])
    return [f"Ratio: {ops:.1f} orders/s at 8 buyers ÷ {float(tps[0]):.0f} pgbench read/write TPS = "
            f"**{ops / float(tps[0]):.3f}**."]


def write_results(path: Path, command: str, started: datetime, duration: float, machine: list[str],
                  results: Results, plan: Plan, mode: str) -> None:
    s = results.sections

    def block(name: str) -> str:
        return "\n".join(s.get(name, ["(not measured)"]))

    ratio_lines = ratio(results)
    md = f"""# Benchmark results

Measured on this machine by `{command}` on {started:%Y-%m-%d %H:%M} UTC ({mode}; the run took {duration / 60:.1f} min).
Re-run it to compare; the pgbench figures of the same run give the ratio, so results from
different days or machines can be compared by `orders/s ÷ pgbench TPS`.

## Machine
| | |
|---|---|
{chr(10).join(machine)}

The benchmark client (httpx, asyncio) runs on the same machine as the server and PostgreSQL,
so all three share the vCPUs above; the server is one uvicorn process (one event loop), as one
web pod would be. Statement counts include the two per-transaction statements that bind the
tenant for row-level security (`SET LOCAL ROLE`, `set_config('app.tenant_id', …)`).

## Pricing a catalog page (issue 3)
One tenant with {plan.skus:,} SKUs, {plan.customers:,} customers and {plan.price_rows:,} price rows
({block('_pricing_data')}). One customer (tier T0, with customer prices on every 3rd of the
first 10,000 SKUs) is priced for one page; median of {plan.samples} pages at random offsets.
"Price engine" is `core.pricing.engine.resolve_prices` alone; "catalog_page" is the whole
`web.api.catalog.catalog_page` call as the API runs it (tenant lookup, plugin states, user,
customer, count, page query, stock, prices).

{block('pricing')}

The statement count is the same for 10, 50 and 200 products: it does not grow with the page size.

## Ordering under load (issue 4)
A tenant with {plan.order_products:,} products in stock and {plan.buyers} buyer logins; each concurrent buyer
places 10-line orders (random SKUs, qty 1-3, a fresh `Idempotency-Key` each) through
`POST /t/{{slug}}/api/v1/orders` for {plan.load_seconds:.0f} s. Latency is per request as the client saw it.

{block('load')}

SQL statements per order by the number of lines:

{block('sql')}

| quote | p50 ms | p99 ms | SQL statements |
|---|---|---|---|
{block('quote')}

## Storefront catalog page
SQL statements per `GET /products` page as a buyer of the {plan.skus:,}-SKU tenant:

{block('catalog')}

| load | pages | pages/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|
{block('catalog_load')}

## pgbench in the same run
Scale {plan.pgbench_scale}, on its own database, server stopped meanwhile.

| mode | command | TPS | latency avg ms |
|---|---|---|---|
{block('pgbench')}

{chr(10).join(ratio_lines) if ratio_lines else ''}

## Tenant scaling (issue 8)
Two databases side by side: one with 10 tenants, one with {plan.tenants:,} (the benchmark tenants
above plus filler tenants, each with an owner, a warehouse, 20 products with stock and plugin
settings), each with the same probe tenant (50 products, one buyer) and its own server. The two
servers are started one after the other (start-up time: process start to the first 200 from
`/healthz`), then probed with {plan.probe_requests} sequential `GET /products?limit=20` as the probe's
buyer and a 5-line `POST /cart/quote` every third round, **interleaved** request by request
(alternating which goes first) after 20 warm-up rounds, so load from elsewhere on the machine
falls on both alike.

| tenants in the database | server start s | catalog p50 ms | catalog p99 ms | catalog mean ms | quote p50 ms | quote p99 ms | SQL per page |
|---|---|---|---|---|---|---|---|
{block('tenants')}

## Web process memory
{block('memory')}

## Notes
{chr(10).join('- ' + n for n in results.notes) or '- none'}
"""
    kept = ""
    if path.exists():  # sections written by hand or by bench/orders.py stay (from the marker on)
        old = path.read_text()
        if KEEP_MARKER in old:
            kept = "\n" + old[old.index(KEEP_MARKER):]
    path.write_text(md + kept)
