"""The login form, bounded before django-axes records a failed attempt."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

# The user model's own limit; django-axes stores what was typed in a
# 255-character column, so anything longer must stop at the form.
USERNAME_MAX_LENGTH = 150


class LoginForm(AuthenticationForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # AuthenticationForm sets ``max_length`` after the field is built, which
        # only changes the widget; the validator is what refuses the input.
        field = self.fields["username"]
        field.max_length = USERNAME_MAX_LENGTH
        field.widget.attrs["maxlength"] = str(USERNAME_MAX_LENGTH)
        field.validators.append(MaxLengthValidator(USERNAME_MAX_LENGTH))
