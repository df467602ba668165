"""The one way a step page answers a refused POST: the page again, not a redirect.

A service refuses with ``ValidationError`` (bad input: 400), ``PermissionDenied``
(403) or ``core.errors.Conflict`` and its kinds ``StepClosed`` and ``Sealed``
(the state does not allow it now: 409). The page is rendered again with the
bound form, so what the user typed stays in the boxes and each message stands
at its field; the top of the page sums the messages up (and carries those
about no field of the form). Success redirects (post/redirect/get) with the
done message.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .errors import Conflict

Page = Callable[[int, list[str]], HttpResponse]


def _labelled(form: forms.Form, name: str, message: str) -> str:
    field = form.fields.get(name)
    if field is None or not field.label:
        return message
    return _("%(label)s：%(message)s") % {"label": field.label, "message": message}


def form_errors(form: forms.Form) -> list[str]:
    """Every message of a form, each prefixed by its field's label."""
    return [
        _labelled(form, name, message)
        for name, errors in form.errors.items()
        for message in errors
    ]


def place_errors(form: forms.Form | None, invalid: ValidationError) -> list[str]:
    """Put a service's field messages on the form's fields; return the others.

    A form's ``service_fields`` maps a service's field name to the form's
    where they differ (the service's ``signed_at`` is the form's ``signed_on``).
    """
    if form is None or not hasattr(invalid, "error_dict"):
        return list(invalid.messages)
    aliases = getattr(form, "service_fields", {})
    rest = []
    for name, errors in invalid.message_dict.items():
        name = aliases.get(name, name)
        if name in form.fields:
            for message in errors:
                form.add_error(name, message)
        else:
            rest.extend(errors)
    return rest


def answer(
    request,
    *,
    page: Page,
    run: Callable[[dict], object],
    done: str | Callable[[dict], str],
    to: str,
    form: forms.Form | None = None,
) -> HttpResponse:
    """Validate ``form``, run the service, redirect to ``to``; or ``page`` again.

    ``page(status, errors)`` renders the page with the bound form in place
    (each message at its field); ``errors`` sum them up for the top of the
    page, each named by its field's label, so a message is seen even where
    the page does not show that form now (a row's own small form, a section
    the topic's state hides). ``done`` is the success message, or a function
    of the cleaned data giving it.
    """
    if form is not None and not form.is_valid():
        return page(400, form_errors(form))
    cleaned = form.cleaned_data if form is not None else {}
    try:
        run(cleaned)
    except ValidationError as invalid:
        rest = place_errors(form, invalid)
        return page(400, (form_errors(form) if form is not None else []) + rest)
    except PermissionDenied as denied:
        return page(403, [str(denied) or _("您不能进行这项操作。")])
    except Conflict as conflict:
        return page(409, [conflict.message])
    messages.success(request, done(cleaned) if callable(done) else done)
    return redirect(to)
