"""Multi-level channels (F2B2b): resellers selling to the stores under them, their stock and
prices, and the brand's sell-through (流向) reports. See README "Channel levels"."""
