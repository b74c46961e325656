"""Maps the design card's top-level folders into the ``qudao.*`` namespace.

pyproject.toml holds all metadata; this file only exists because setuptools
cannot discover sub-packages of several ``package-dir`` roots declaratively.
"""

from setuptools import find_packages, setup

ROOTS = {
    "core": "qudao.core",
    "tenants": "qudao.tenants",
    "plugins": "qudao.plugins",
    "web": "qudao.web",
    "workers": "qudao.workers",
    "testing": "qudao.testing",  # the plugin test kit (pytest11 entry point in pyproject.toml)
}
DATA = ["*.html", "*.jinja", "*.css", "*.js", "*.po", "*.mo", "*.ini", "*.mako", "*.svg", "*.txt", "*.json", "*.tmpl"]

packages: list[str] = []
package_dir: dict[str, str] = {}
for folder, name in ROOTS.items():
    package_dir[name] = folder
    packages.append(name)
    for sub in find_packages(folder):
        packages.append(f"{name}.{sub}")
        package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={name: ["**/" + pattern for pattern in DATA] + DATA for name in packages},
    include_package_data=True,
)
