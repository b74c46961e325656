"""Orders: the checkout pipeline, placement and the order lifecycle."""
