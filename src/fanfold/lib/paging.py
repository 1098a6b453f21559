"""Pagination that never fails on a malformed page number and 404s past the end."""

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest


def page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return number if number >= 1 else 1


def paginate(request: HttpRequest, object_list, per_page: int, *, count: int | None = None) -> Page:
    """The requested page; a page past the last one is a 404 that links to the last page.

    `count`, when a denormalized column already knows it, saves the COUNT(*) query.
    """
    paginator = Paginator(object_list, per_page, allow_empty_first_page=True)
    if count is not None:
        paginator.count = count  # fills Paginator's cached property
    number = page_number(request)
    if number > paginator.num_pages:
        query = request.GET.copy()
        query["page"] = paginator.num_pages
        request.last_page_url = f"{request.path}?{query.urlencode()}"
        raise Http404("That page is past the end of the list.")
    return paginator.page(number)


def choice(request: HttpRequest, name: str, choices, default: str) -> str:
    """A GET parameter limited to known values; anything else gives the default."""
    value = request.GET.get(name, default)
    return value if value in choices else default
