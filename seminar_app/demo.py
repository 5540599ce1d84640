"""``flask demo load``: the demo forum, seminar and workshop, and three demo staff accounts.

The events are published and start 30, 45 and 60 days from the day the command runs, with
registration open from now until the day before each event, so the demo works on any day.
``--if-empty`` loads nothing when any event exists (``make run`` uses it). Speakers are
fictional; the organisations are the real hosts of such events in Indonesia.
"""

import io
import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import func, select

from .database import transaction
from .extensions import db
from .models import (
    AgendaSession,
    CoHost,
    Event,
    EventStatus,
    EventType,
    RegistrationSource,
    Speaker,
    TeamMember,
    User,
    UserRole,
    Visibility,
    utcnow,
)
from .services.accounts.users import create_user, find_user_by_email
from .services.audit import record_action
from .services.events.uploads import create_image_upload
from .services.invitations.invitations import add_invitee
from .services.invitations.rsvp import accept_invitation, decline_invitation
from .services.registration import nominations
from .services.registration.registrations import register
from .services.surveys.demo import write_demo_survey
from .services.travel.demo import write_demo_travel

log = logging.getLogger(__name__)

demo_cli = AppGroup("demo", help="Demo data.")

ACCOUNTS = (
    ("admin@demo.seminar.test", "Demo Administrator", UserRole.ADMIN),
    ("organizer@demo.seminar.test", "Demo Organizer", UserRole.ORGANIZER),
    ("staff@demo.seminar.test", "Demo Staff", UserRole.STAFF),
)

MOFA = "Ministry of Foreign Affairs of the Republic of Indonesia"

FORUM_DESCRIPTION = """\
Indonesia has shared its development experience with partner countries for more than six
decades. **Kerja Sama Selatan-Selatan** — South-South Cooperation — is how we grow *together*:
partners learn from each other as equals, in the spirit of *gotong royong*.

The forum brings together delegations from **42 invited countries** across Asia, the Pacific,
the Middle East and Africa, with development agencies, universities and the private sector.

## What the forum covers

- **Capacity building**: training programmes that partners have made their own. Timor-Leste
  and Laos have adopted Indonesia's capacity-building approach in their own institutions.
- **Infrastructure development**: planning, financing and maintaining roads, ports and water.
- **Technical assistance**: experts, apprenticeships and follow-up that outlast a project.
- **Economic and investment partnerships**: trade, investment and triangular cooperation.

Simultaneous interpretation English ↔ Bahasa Indonesia is provided. Business attire.
"""

FORUM_DESCRIPTION_ID = """\
Indonesia telah berbagi pengalaman pembangunannya dengan negara-negara mitra selama lebih dari
enam dekade. **Kerja Sama Selatan-Selatan** adalah cara kita tumbuh *bersama*: para mitra
saling belajar secara setara, dalam semangat *gotong royong*.

Forum ini mempertemukan delegasi dari **42 negara undangan** di Asia, Pasifik, Timur Tengah,
dan Afrika, bersama lembaga pembangunan, perguruan tinggi, dan sektor swasta.

## Cakupan forum

- **Peningkatan kapasitas**: program pelatihan yang telah diadopsi oleh para mitra. Timor-Leste
  dan Laos menerapkan pendekatan peningkatan kapasitas Indonesia di lembaga mereka sendiri.
- **Pembangunan infrastruktur**: perencanaan, pembiayaan, dan pemeliharaan jalan, pelabuhan,
  dan air.
- **Bantuan teknis**: tenaga ahli, magang, dan tindak lanjut yang bertahan lebih lama dari
  proyeknya.
- **Kemitraan ekonomi dan investasi**: perdagangan, investasi, dan kerja sama triangular.

Tersedia penerjemahan simultan bahasa Inggris ↔ Bahasa Indonesia. Pakaian: busana kerja.
"""

#: Indonesian texts of the forum: its title, theme, description and agenda session titles
FORUM_ID = {
    "title": "Tumbuh Bersama melalui Kerja Sama Selatan-Selatan",
    "theme": "Peningkatan kapasitas, infrastruktur, dan kemitraan antarnegara berkembang",
    "description": FORUM_DESCRIPTION_ID,
    "agenda": {
        "Registration and welcome coffee": "Registrasi dan kopi selamat datang",
        "Opening remarks": "Sambutan pembukaan",
        "Keynote: Capacity building at the heart of South-South Cooperation":
            "Pidato utama: Peningkatan kapasitas sebagai inti Kerja Sama Selatan-Selatan",
        "Coffee break": "Rehat kopi",
        "Panel: Infrastructure development": "Panel: Pembangunan infrastruktur",
        "Networking lunch": "Makan siang dan ramah tamah",
        "Panel: Technical assistance that lasts": "Panel: Bantuan teknis yang berkelanjutan",
        "Country stories: partners in their own words":
            "Kisah negara mitra: dengan kata-kata mereka sendiri",
        "Panel: Economic and investment partnerships": "Panel: Kemitraan ekonomi dan investasi",
        "Matching demand and offers: bilateral meetings":
            "Mempertemukan kebutuhan dan tawaran: pertemuan bilateral",
        "Closing: growing together, the way forward":
            "Penutupan: tumbuh bersama, langkah ke depan",
    },
}

SEMINAR_DESCRIPTION = """\
How can Indonesia make the most of its South-South Cooperation? This one-day seminar at
**Universitas Brawijaya** brings policy makers, researchers and students together to explore
the potentials — *menggali potensi* — of Indonesia's cooperation with developing countries.

Since the programme began, **96 developing countries** have benefited from Indonesian
training and technical assistance, from Timor-Leste to Kyrgyzstan, with agriculture and
livestock programmes among the most requested.

As a **middle-income country** and a **member of the G20**, Indonesia is moving from receiving
assistance to providing it. The discussion asks what this means for funding, for institutions
and for the next generation of Indonesian development experts.

The seminar is held in Bahasa Indonesia and English. Students are warmly welcome.
"""

WORKSHOP_DESCRIPTION = """\
A hands-on workshop for government officials and university staff from eastern Indonesia on
designing **triangular cooperation** projects: finding a partner's real demand, shaping a
proposal with a development partner, and measuring results.

Places are limited; please register early. Times are in **WITA** (Central Indonesia Time).
"""


def _logo_png(initials: str, colour: str) -> bytes:
    """A simple square logo: the initials in white on a coloured background."""
    image = Image.new("RGB", (240, 240), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=88 if len(initials) <= 3 else 64)
    draw.text((120, 120), initials, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _at(day: date, clock: str, zone: str) -> datetime:
    """A local wall-clock time on ``day`` in ``zone`` as UTC."""
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(zone)).astimezone(UTC)


FORUM = {
    "slug": "south-south-cooperation-forum",
    "title": "Growing Together through South-South Cooperation",
    "event_type": EventType.FORUM,
    "theme": "Capacity building, infrastructure and partnerships among developing countries",
    "description": FORUM_DESCRIPTION,
    "timezone": "Asia/Jakarta",
    "venue_name": "Gedung Pancasila, Ministry of Foreign Affairs",
    "venue_address": "Jl. Taman Pejambon No. 6, Jakarta Pusat 10110",
    "venue_city": "Jakarta",
    "capacity": 150,
    "languages": "en,id",
    "indonesian": FORUM_ID,
    "contact_name": "Directorate of Technical Cooperation",
    "contact_email": "technical-cooperation@demo.example.org",
    "contact_phone": "+62 21 3441508",
    "days": (30, 31),
    "hours": ("08:00", "14:00"),
    "cohosts": (
        (f"{MOFA} — Directorate of Technical Cooperation", "Host", "KT", "#0b3d66"),
        ("National Coordination Team on South-South and Triangular Cooperation", "Co-host",
         "SSTC", "#c8102e"),
    ),
    "agenda": (
        (0, "08:00", "08:45", "Registration and welcome coffee", "Foyer", ()),
        (0, "08:45", "09:15", "Opening remarks", "Nusantara Hall",
         (("Dr. Ratna Wulandari", "Director of Technical Cooperation", MOFA),)),
        (0, "09:15", "10:00", "Keynote: Capacity building at the heart of South-South Cooperation",
         "Nusantara Hall", (("Prof. Hendra Kusuma", "Senior Fellow", "Universitas Indonesia"),)),
        (0, "10:00", "10:15", "Coffee break", "Foyer", ()),
        (0, "10:15", "12:00", "Panel: Infrastructure development", "Nusantara Hall",
         (("Ir. Bambang Prasetyo", "Director of Planning", "Ministry of Public Works"),
          ("Maria da Costa", "Adviser", "Ministry of Planning, Timor-Leste"))),
        (0, "12:00", "13:30", "Networking lunch", "Garden Terrace", ()),
        (0, "13:30", "15:15", "Panel: Technical assistance that lasts", "Nusantara Hall",
         (("Souksavanh Phommachanh", "Deputy Director", "Ministry of Agriculture, Lao PDR"),
          ("Dr. Sri Handayani", "Programme Manager", "Indonesian AID"))),
        (0, "15:30", "16:30", "Country stories: partners in their own words", "Room Bali",
         (("Amina Njoroge", "Counsellor", "Embassy of Kenya"),)),
        (1, "09:00", "10:45", "Panel: Economic and investment partnerships", "Nusantara Hall",
         (("Rizal Hakim", "Head of International Cooperation", "Indonesia Investment Authority"),
          ("Dr. Fatima Al-Harbi", "Economist", "Islamic Development Bank"))),
        (1, "11:00", "12:00", "Matching demand and offers: bilateral meetings",
         "Rooms Bali and Lombok", ()),
        (1, "12:00", "13:00", "Closing: growing together, the way forward", "Nusantara Hall",
         (("Dr. Ratna Wulandari", "Director of Technical Cooperation", MOFA),)),
    ),
}

SEMINAR = {
    "slug": "indonesia-south-south-cooperation-seminar",
    "title": "Indonesia's South-South Cooperation: Exploring the Potentials",
    "event_type": EventType.SEMINAR,
    "theme": "From recipient to provider of development assistance",
    "description": SEMINAR_DESCRIPTION,
    "timezone": "Asia/Jakarta",
    "venue_name": "Widyaloka Auditorium, Universitas Brawijaya",
    "venue_address": "Jl. Veteran, Ketawanggede, Lowokwaru, Malang, East Java 65145",
    "venue_city": "Malang",
    "capacity": 200,
    "languages": "id,en",
    "contact_name": "Pusat P2K-Multilateral, BPPK",
    "contact_email": "p2k-multilateral@demo.example.org",
    "contact_phone": "",
    "days": (45, 45),
    "hours": ("08:00", "14:00"),
    "cohosts": (
        ("Centre for Policy Analysis and Development on International Organizations "
         "(Pusat P2K-Multilateral)", "Host", "P2K", "#1f6f43"),
        (f"Policy Analysis and Development Agency (BPPK), {MOFA}", "Co-host", "BPPK", "#0b3d66"),
        ("Universitas Brawijaya", "Co-host", "UB", "#123c7c"),
        ("USAID", "Supported by", "US", "#6c757d"),
    ),
    "agenda": (
        (0, "08:00", "08:30", "Registration", "Lobby", ()),
        (0, "08:30", "09:00", "Welcome remarks", "Widyaloka Auditorium",
         (("Prof. Dr. Agus Santoso", "Vice Rector", "Universitas Brawijaya"),
          ("Dr. Dewi Anggraini", "Head of Centre", "Pusat P2K-Multilateral, BPPK"))),
        (0, "09:00", "10:15", "96 developing countries: what Indonesia's cooperation has achieved",
         "Widyaloka Auditorium",
         (("Dr. Bayu Nugroho",
           "Director of Foreign Policy and International Development Cooperation", "Bappenas"),)),
        (0, "10:15", "10:30", "Coffee break", "Lobby", ()),
        (0, "10:30", "12:00",
         "Discussion: a middle-income country and G20 member becoming a provider of assistance",
         "Widyaloka Auditorium",
         (("Dr. Lina Marlina", "Lecturer in International Relations", "Universitas Brawijaya"),
          ("Michael Torres", "Development Counsellor", "USAID Indonesia"))),
        (0, "12:00", "12:45", "Questions and answers", "Widyaloka Auditorium", ()),
        (0, "12:45", "14:00", "Closing and lunch", "Lobby", ()),
    ),
}

WORKSHOP = {
    "slug": "triangular-cooperation-workshop-makassar",
    "title": "Designing Triangular Cooperation Projects",
    "event_type": EventType.WORKSHOP,
    "theme": "A practical workshop for eastern Indonesia",
    "description": WORKSHOP_DESCRIPTION,
    "timezone": "Asia/Makassar",
    "venue_name": "Universitas Hasanuddin, Rectorate Building",
    "venue_address": "Jl. Perintis Kemerdekaan KM. 10, Tamalanrea, Makassar 90245",
    "venue_city": "Makassar",
    "capacity": 40,
    "languages": "id",
    "contact_name": "Workshop secretariat",
    "contact_email": "workshop@demo.example.org",
    "contact_phone": "",
    "days": (60, 60),
    "hours": ("09:00", "16:00"),
    "cohosts": (("Universitas Hasanuddin", "Host", "UH", "#b8860b"),),
    "agenda": (
        (0, "09:00", "10:30", "Finding a partner's real demand", "Room 201",
         (("Andi Rahmawati", "Lecturer", "Universitas Hasanuddin"),)),
        (0, "10:45", "12:00", "Shaping a proposal with a development partner", "Room 201", ()),
        (0, "13:00", "14:30", "Measuring results", "Room 201", ()),
        (0, "14:45", "16:00", "Group work and presentations", "Room 201", ()),
    ),
}

DEMO_EVENTS = (FORUM, SEMINAR, WORKSHOP)


def _ensure_accounts(password: str) -> dict[UserRole, User]:
    """The three demo accounts, created when missing."""
    users = {}
    for email, name, role in ACCOUNTS:
        user = find_user_by_email(email)
        if user is None:
            user = create_user(email=email, name=name, password=password, role=role)
        users[role] = user
    return users


def _build_event(spec: dict, owner: User, today: date, now: datetime) -> Event:
    """A published event from ``spec``, dated relative to ``today``."""
    zone = spec["timezone"]
    first, last = (today + timedelta(days=offset) for offset in spec["days"])
    fields = {key: spec[key] for key in (
        "slug", "title", "event_type", "theme", "description", "timezone", "venue_name",
        "venue_address", "venue_city", "capacity", "languages", "contact_name",
        "contact_email", "contact_phone")}
    event = Event(
        **fields, venue_country="ID", visibility=Visibility.PUBLIC,
        status=EventStatus.PUBLISHED, owner=owner, published_at=now,
        start_at=_at(first, spec["hours"][0], zone), end_at=_at(last, spec["hours"][1], zone),
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=_at(first - timedelta(days=1), "23:59", zone),
    )
    # the demo texts are English (whatever the event's first language); the forum also has
    # Indonesian ones
    indonesian = spec.get("indonesian")
    event.translations = {"en": {key: spec[key] for key in ("title", "theme", "description")}}
    if indonesian:
        event.translations["id"] = {key: indonesian[key]
                                    for key in ("title", "theme", "description")}
    for position, (name, role, initials, colour) in enumerate(spec["cohosts"]):
        logo = create_image_upload(data=_logo_png(initials, colour),
                                   filename=f"{initials.lower()}-logo.png")
        event.cohosts.append(CoHost(name=name, role=role, position=position, logo=logo))
    for offset, begins, ends, title, room, speakers in spec["agenda"]:
        day = first + timedelta(days=offset)
        session = AgendaSession(title=title, room=room, starts_at=_at(day, begins, zone),
                                ends_at=_at(day, ends, zone))
        session.translations = {"en": {"title": title}}
        if indonesian and title in indonesian["agenda"]:
            session.translations["id"] = {"title": indonesian["agenda"][title]}
        session.speakers = [Speaker(name=n, title=t, organisation=o, position=i)
                            for i, (n, t, o) in enumerate(speakers)]
        event.sessions.append(session)
    return event


#: Delegations registered for the demo forum (fictional people, real countries of the South).
#: (honorific, given name, family name, country, organisation, position, role)
FORUM_DELEGATES = (
    ("he", "Adérito", "Soares", "TL", "Ministry of Foreign Affairs and Cooperation",
     "Vice-Minister", "head"),
    ("mr", "Jacinto", "Guterres", "TL", "Embassy of Timor-Leste in Jakarta", "Counsellor",
     "delegate"),
    ("amb", "Khamphone", "Sisoulath", "LA", "Embassy of the Lao PDR in Jakarta", "Ambassador",
     "head"),
    ("ms", "Vilaykham", "Phommachanh", "LA", "Ministry of Planning and Investment",
     "Deputy Director-General", "delegate"),
    ("he", "Ratu", "Naiqama", "FJ", "Ministry of Foreign Affairs", "Permanent Secretary",
     "head"),
    ("dr", "Grace", "Wambui", "KE", "Ministry of Foreign and Diaspora Affairs",
     "Director, Economic Diplomacy", "head"),
    ("mr", "Baraka", "Mwinyi", "TZ", "Embassy of Tanzania in Jakarta", "Minister Plenipotentiary",
     "delegate"),
    ("amb", "Ahmed", "El-Sayed", "EG", "Embassy of Egypt in Jakarta", "Ambassador", "head"),
    ("ms", "Layla", "Haddad", "JO", "Ministry of Planning and International Cooperation",
     "Head of Technical Cooperation", "delegate"),
    ("mr", "Aung", "Kyaw Min", "MM", "Ministry of Foreign Affairs", "Director", "head"),
    ("ms", "Sophea", "Chan", "KH", "Cambodian Rehabilitation and Development Board",
     "Deputy Secretary-General", "head"),
    ("dr", "Nguyễn", "Thị Lan", "VN", "Ministry of Planning and Investment",
     "Deputy Director, Foreign Economic Relations", "head"),
    ("mr", "Paolo", "Reyes", "PH", "Department of Foreign Affairs", "Executive Director",
     "head"),
    ("ms", "Esperança", "Machava", "MZ", "Ministry of Foreign Affairs and Cooperation",
     "Counsellor", "head"),
    ("mr", "Joseph", "Kekea", "SB", "Ministry of Foreign Affairs and External Trade",
     "First Secretary", "head"),
    ("ms", "Mere", "Tuilagi", "WS", "Ministry of Foreign Affairs and Trade", "Principal Officer",
     "observer"),
    ("mr", "Yusuf", "Abdi", "SO", "Ministry of Foreign Affairs", "Director of Cooperation",
     "head"),
    ("dr", "Fatima", "Al-Harbi", "SA", "Islamic Development Bank", "Economist", "speaker"),
    ("ms", "Dewi", "Lestari", "ID", "Antara News Agency", "Correspondent", "media"),
)


def _demo_email(given: str, family: str, country: str) -> str:
    """A demo address such as khamphone.sisoulath@la.example.org (ASCII only)."""
    email = f"{given}.{family}".lower().replace(" ", "-")
    return "".join(ch for ch in email if ch.isascii()) + f"@{country.lower()}.example.org"


#: words of an organisation's name -> its type, for the demo delegates
_ORGANISATION_TYPES = (("Embassy", "embassy"), ("Bank", "international_organisation"),
                       ("News", "media"), ("Board", "government_agency"),
                       ("Ministry", "ministry"), ("Department", "ministry"))


def _organisation_type(organisation: str) -> str:
    return next((kind for word, kind in _ORGANISATION_TYPES if word in organisation), "other")


def _register_demo_delegates(event: Event) -> None:
    """Register the demo delegations for ``event`` through the registration service; their
    registration times are then spread over the past weeks, as a real forum's would be."""
    count = len(FORUM_DELEGATES)
    for number, (honorific, given, family, country, organisation, position,
                 role) in enumerate(FORUM_DELEGATES):
        with transaction():  # one delegate: registered, then dated in the past
            email = _demo_email(given, family, country)
            registration, _token = register(event, source=RegistrationSource.STAFF, data={
                "honorific": honorific, "given_name": given, "family_name": family,
                "email": email, "country": country, "organisation": organisation,
                "organisation_type": _organisation_type(organisation),
                "position": position, "delegation_role": role,
                "language": "id" if country == "ID" else "en",
            })
            registered_at = utcnow() - timedelta(days=2 * (count - number), hours=number % 5)
            registration.created_at = registration.confirmed_at = registered_at


#: People invited to the demo forum (fictional), by group. The answer is "registered" (they
#: are among FORUM_DELEGATES and accept through their invitation, which links it to their
#: registration), "decline:<reason>", or "" (no answer yet). The forum's registrations stay
#: exactly FORUM_DELEGATES, all confirmed.
#: (group, honorific, given name, family name, country, organisation, position, language, answer)
FORUM_INVITEES = (
    ("ASEAN", "amb", "Khamphone", "Sisoulath", "LA", "Embassy of the Lao PDR in Jakarta",
     "Ambassador", "en", "registered"),
    ("ASEAN", "ms", "Sophea", "Chan", "KH", "Cambodian Rehabilitation and Development Board",
     "Deputy Secretary-General", "en", "registered"),
    ("ASEAN", "mr", "Paolo", "Reyes", "PH", "Department of Foreign Affairs",
     "Executive Director", "en", "registered"),
    ("ASEAN", "he", "Adérito", "Soares", "TL", "Ministry of Foreign Affairs and Cooperation",
     "Vice-Minister", "en", "registered"),
    ("ASEAN", "dr", "Nguyễn", "Thị Lan", "VN", "Ministry of Planning and Investment",
     "Deputy Director, Foreign Economic Relations", "en", "registered"),
    ("ASEAN", "he", "Datuk Aminah", "Rahman", "MY", "Ministry of Foreign Affairs",
     "Deputy Secretary-General", "en", ""),
    ("ASEAN", "mr", "Somchai", "Wongsakul", "TH", "Thailand International Cooperation Agency",
     "Director", "en", ""),
    ("ASEAN", "ms", "Hnin", "Thandar", "MM", "Ministry of Investment and Foreign Economic "
     "Relations", "Director", "en", "decline:Our delegation has another mission on these dates."),
    ("ASEAN", "mr", "Haji Rosli", "Ismail", "BN", "Ministry of Foreign Affairs", "Director",
     "en", ""),
    ("ASEAN", "ms", "Mei Ling", "Tan", "SG", "Singapore Cooperation Programme", "Deputy Director",
     "en", ""),
    ("ASEAN", "dr", "Trần", "Văn Minh", "VN", "Ministry of Planning and Investment",
     "Deputy Director-General", "en", ""),
    ("Africa", "dr", "Grace", "Wambui", "KE", "Ministry of Foreign and Diaspora Affairs",
     "Director, Economic Diplomacy", "en", "registered"),
    ("Africa", "mr", "Baraka", "Mwinyi", "TZ", "Embassy of Tanzania in Jakarta",
     "Minister Plenipotentiary", "en", "registered"),
    ("Africa", "ms", "Esperança", "Machava", "MZ", "Ministry of Foreign Affairs and Cooperation",
     "Counsellor", "en", "registered"),
    ("Africa", "amb", "Kwame", "Mensah", "GH", "Embassy of Ghana", "Ambassador", "en", ""),
    ("Africa", "ms", "Chiamaka", "Okafor", "NG", "Nigerian Technical Aid Corps", "Director",
     "en", "decline:"),
    ("Africa", "mr", "Tesfaye", "Bekele", "ET", "Ministry of Foreign Affairs", "Counsellor",
     "en", ""),
    ("Africa", "ms", "Aïcha", "Diallo", "SN", "Ministry of Foreign Affairs", "Head of Division",
     "en", ""),
    ("Africa", "mr", "Thabo", "Nkosi", "ZA", "Department of International Relations and "
     "Cooperation", "Director", "en", ""),
    ("Latin America", "amb", "Carolina", "Méndez", "MX", "Mexican Agency for International "
     "Development Cooperation", "Director General", "en", ""),
    ("Latin America", "mr", "João", "Pereira", "BR", "Brazilian Cooperation Agency",
     "Coordinator", "en", "decline:We will follow the forum online."),
    ("Latin America", "ms", "Valentina", "Rojas", "CL", "Chilean Agency for International "
     "Cooperation", "Head of South-South Cooperation", "en", ""),
    ("Latin America", "dr", "Andrés", "Gómez", "CO", "Presidential Agency of International "
     "Cooperation", "Adviser", "en", ""),
    ("Latin America", "mr", "Luis", "Fernández", "PE", "Peruvian Agency for International "
     "Cooperation", "Director", "en", ""),
    ("Latin America", "ms", "Gabriela", "Torres", "AR", "Ministry of Foreign Affairs",
     "Counsellor", "en", ""),
    ("Pacific", "he", "Ratu", "Naiqama", "FJ", "Ministry of Foreign Affairs",
     "Permanent Secretary", "en", "registered"),
    ("Pacific", "mr", "Joseph", "Kekea", "SB", "Ministry of Foreign Affairs and External Trade",
     "First Secretary", "en", "registered"),
    ("Pacific", "ms", "Mere", "Tuilagi", "WS", "Ministry of Foreign Affairs and Trade",
     "Principal Officer", "en", "registered"),
    ("Pacific", "ms", "Losana", "Vake", "TO", "Ministry of Foreign Affairs", "Deputy Secretary",
     "en", ""),
    ("Pacific", "mr", "Kalo", "Tamate", "VU", "Ministry of Foreign Affairs", "Director",
     "en", "decline:Travel connections do not allow us to attend."),
    ("Pacific", "mr", "Michael", "Kaupa", "PG", "Department of Foreign Affairs",
     "Assistant Secretary", "en", ""),
    ("Indonesia", "ms", "Dewi", "Lestari", "ID", "Antara News Agency", "Correspondent", "id",
     "registered"),
    ("Indonesia", "dr", "Siti", "Rahmawati", "ID", "Bappenas", "Director", "id", ""),
    ("Indonesia", "mr", "Agus", "Wibowo", "ID", "Kementerian Keuangan", "Kepala Bidang",
     "id", ""),
)


def _demo_registration_data(invitee, email: str, given: str, family: str) -> dict:
    """What the invitee sends when accepting (their registration exists: it gets linked)."""
    return {"honorific": invitee.honorific.value if invitee.honorific else "mr",
            "given_name": given, "family_name": family, "email": email,
            "country": invitee.country, "organisation": invitee.organisation,
            "position": invitee.position, "delegation_role": "delegate",
            "language": invitee.language}


def _invite_demo_guests(event: Event) -> None:
    """The forum's invitation list, with answers given through the invitation service."""
    for row in FORUM_INVITEES:
        group, honorific, given, family, country, organisation, position, language, answer = row
        invitee = add_invitee(event, {
            "honorific": honorific, "name": f"{given} {family}",
            "email": _demo_email(given, family, country), "country": country,
            "organisation": organisation, "position": position, "language": language,
            "group_name": group})
        if answer == "registered":
            accept_invitation(invitee, data=_demo_registration_data(
                invitee, invitee.email, given, family))
        elif answer.startswith("decline:"):
            decline_invitation(invitee, reason=answer.split(":", 1)[1])


#: the missions invited as organisations: (country, mission, focal point, email language,
#: members as (honorific, given, family, role, position), submitted?)
FORUM_MISSIONS = (
    ("TH", "Royal Thai Embassy in Jakarta", "Anong Chaiyaporn", "en",
     (("he", "Somchai", "Wongsakul", "head", "Ambassador"),
      ("ms", "Pimchanok", "Srisuk", "delegate", "Counsellor"),
      ("mr", "Preecha", "Kittisak", "delegate", "First Secretary")), True),
    ("KE", "Embassy of the Republic of Kenya in Jakarta", "Wanjiru Kamau", "en", (), False),
)


def _portrait_jpeg(initials: str, colour: str) -> bytes:
    """A stand-in passport photo: a head-and-shoulders silhouette with initials."""
    image = Image.new("RGB", (350, 450), "#e9edf1")
    draw = ImageDraw.Draw(image)
    draw.ellipse((105, 70, 245, 230), fill=colour)
    draw.rounded_rectangle((55, 250, 295, 470), radius=90, fill=colour)
    draw.text((175, 150), initials, fill="white", font=ImageFont.load_default(size=56),
              anchor="mm")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _note_verbale_pdf(mission: str, event: Event) -> bytes:
    """A one-page stand-in note verbale."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setFont("Helvetica", 11)
    lines = (mission, "", "Note verbale No. 123/2026", "",
             f"The {mission} presents its compliments and has the honour to nominate",
             f"its delegation to {event.title}.")
    for number, line in enumerate(lines):
        canvas.drawString(72, 760 - 16 * number, line)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _nominate_demo_missions(event: Event) -> None:
    """Missions invited as organisations: one has submitted its nomination (letter, members
    with photos) and waits in the accreditation queue; one has not nominated yet."""
    colours = ("#1f4e99", "#8e1b1b", "#2f7d32")
    for country, mission, focal_point, language, members, submitted in FORUM_MISSIONS:
        invitee = add_invitee(event, {
            "kind": "organisation", "name": focal_point, "country": country,
            "email": _demo_email(*focal_point.split(" ", 1), country),
            "organisation": mission, "position": "Focal point", "language": language,
            "group_name": "Missions"})
        if not submitted:
            continue
        nomination = nominations.get_or_start_nomination(invitee)
        nominations.set_letter(nomination, _note_verbale_pdf(mission, event),
                               "note-verbale-123-2026.pdf", reference="No. 123/2026")
        for index, (honorific, given, family, role, position) in enumerate(members):
            member = nominations.add_member(nomination, {
                "honorific": honorific, "given_name": given, "family_name": family,
                "role": role, "position": position, "language": language,
                "email": _demo_email(given, family, country)})
            nominations.set_member_photo(nomination, member.id, _portrait_jpeg(
                given[0] + family[0], colours[index % len(colours)]))
        nominations.submit(nomination)


def load_demo(*, today: date | None = None) -> list[Event]:
    """Create the demo accounts, the demo events that do not exist yet and the forum's
    delegations (each registration is its own transaction, as for a delegate)."""
    now = utcnow()
    today = today or now.astimezone(ZoneInfo("Asia/Jakarta")).date()
    users = _ensure_accounts(current_app.config["DEMO_PASSWORD"])
    created = []
    with transaction():
        for spec in DEMO_EVENTS:
            if db.session.scalar(select(Event.id).where(Event.slug == spec["slug"])) is not None:
                continue
            event = _build_event(spec, users[UserRole.ORGANIZER], today, now)
            if spec is FORUM:
                event.team.append(TeamMember(user=users[UserRole.STAFF], can_invite=True,
                                             can_checkin=True))
            db.session.add(event)
            db.session.flush()
            record_action("event.create", event, source="demo", status=event.status.value)
            created.append(event)
    for event in created:
        if event.slug == FORUM["slug"]:
            _register_demo_delegates(event)
            _invite_demo_guests(event)
            _nominate_demo_missions(event)
            write_demo_survey(event)  # a draft: the forum has not happened yet
            write_demo_travel(event)
    log.info("demo loaded: %d events created", len(created))
    return created


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True,
              help="Do nothing when any event exists already (used by make run).")
def load_command(if_empty: bool) -> None:
    """Load the demo forum, seminar and workshop with three demo staff accounts."""
    if if_empty and db.session.scalar(select(func.count(Event.id))):
        click.echo("Events exist already; the demo data was not loaded.")
        return
    created = load_demo()
    for event in created:
        click.echo(f"Created event: {event.title}  ->  /events/{event.slug}")
    if not created:
        click.echo("The demo events exist already.")
    click.echo("Demo staff accounts (log in at /manage/login):")
    for email, _name, role in ACCOUNTS:
        click.echo(f"  {role.value:<10} {email}")
    click.echo(f"  password: {current_app.config['DEMO_PASSWORD']}")
