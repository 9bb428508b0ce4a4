"""The pages. Each module registers its routes with @rx.page or @guarded_page on import."""

import importlib
import pkgutil


def register_all() -> None:
    """Import every page module, so a new page needs only its own file."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
