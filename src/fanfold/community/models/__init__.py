"""The community app's models, one module per part: reviews, a member's library, notifications."""

from fanfold.community.models.library import Block, Favorite, Mute, ReadingPosition, ReadLater
from fanfold.community.models.notifications import Delivery, Event, Subscription
from fanfold.community.models.reviews import Like, Review

__all__ = [
    "Block",
    "Delivery",
    "Event",
    "Favorite",
    "Like",
    "Mute",
    "ReadLater",
    "ReadingPosition",
    "Review",
    "Subscription",
]
