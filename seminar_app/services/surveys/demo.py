"""The demo forum's feedback survey: written in both languages, not opened yet (the forum
has not happened), so that organizers can see the builder, open it and send it."""

from ...models import Event
from . import surveys

#: (kind, English, Indonesian, options in English, options in Indonesian, required)
DEMO_QUESTIONS = (
    ("rating", "Overall, how useful was the forum for your work?",
     "Secara keseluruhan, seberapa bermanfaat forum ini bagi pekerjaan Anda?", "", "", True),
    ("choice", "Which part of the forum was the most useful?",
     "Bagian forum mana yang paling bermanfaat?",
     "Plenary sessions\nPanel discussions\nBilateral meetings",
     "Sesi pleno\nDiskusi panel\nPertemuan bilateral", False),
    ("rating", "How would you rate the organisation (travel, venue, information)?",
     "Bagaimana penilaian Anda terhadap penyelenggaraan (perjalanan, tempat, informasi)?",
     "", "", False),
    ("text", "What should the next forum do differently?",
     "Apa yang sebaiknya dilakukan secara berbeda pada forum berikutnya?", "", "", False),
)


def write_demo_survey(event: Event) -> None:
    """Give ``event`` the demo survey (each step commits, as an organizer's would)."""
    survey = surveys.get_or_create_survey(event)
    if survey.questions:
        return
    for kind, english, indonesian, options_en, options_id, required in DEMO_QUESTIONS:
        surveys.add_question(survey, kind=kind, required=required, texts={
            "en": {"label": english, "choices": options_en},
            "id": {"label": indonesian, "choices": options_id}})
