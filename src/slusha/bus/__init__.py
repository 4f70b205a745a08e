"""The message bus: one interface, in-memory (default) and NATS JetStream implementations."""

from slusha.bus.base import Bus, Message
from slusha.bus.factory import open_bus

__all__ = ["Bus", "Message", "open_bus"]
