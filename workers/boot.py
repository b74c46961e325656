"""Module the Dramatiq CLI imports in each worker process: sets up broker and actors."""

from qudao.core.config import get_settings
from qudao.workers.broker import setup_broker

broker = setup_broker(get_settings(), start_worker=False)
