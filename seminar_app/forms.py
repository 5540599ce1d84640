"""The base form every form of the app derives from."""

from flask_wtf import FlaskForm

from .i18n import wtforms_translations


class BaseForm(FlaskForm):
    """A Flask-WTF form whose built-in WTForms messages go through our own catalog."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations
