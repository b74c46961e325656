"""Built-in plugins. Each sub-package is loaded through the ``qudao.plugins`` entry point."""
