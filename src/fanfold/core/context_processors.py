from django.conf import settings


def archive(request):
    """Values every page shows: the archive's name."""
    return {"site_name": settings.SITE_NAME}
