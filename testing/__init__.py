"""``qudao.testing``: the test kit for Qudao plugins (and Qudao's own suite).

Installed with Qudao as a pytest plugin (entry point ``pytest11``), so a plugin's tests just use
its fixtures: ``qudao_client`` (the app on a temporary SQLite database, or on
``QUDAO_TEST_DATABASE_URL``), ``qudao_tenant`` / ``qudao_other_tenant`` (a brand's owner through
the API), ``qudao_shop`` (a brand with a product in stock, a customer and its buyer login),
``qudao_web`` (a page client with its own cookies) and ``qudao_host``. Helpers::

    from qudao.testing import PASSWORD, Shop, TenantAPI, installed_plugin, run_jobs, signup, web_login

Only this module and the fixtures are the kit's stable surface.
"""

from qudao.testing.api import PASSWORD, TenantAPI, signup, unique_slug
from qudao.testing.jobs import run_jobs
from qudao.testing.plugins import installed_plugin, make_host
from qudao.testing.shop import Shop, make_shop
from qudao.testing.web import csrf_of, web_login

__all__ = ["PASSWORD", "Shop", "TenantAPI", "csrf_of", "installed_plugin", "make_host", "make_shop", "run_jobs",
           "signup", "unique_slug", "web_login"]
