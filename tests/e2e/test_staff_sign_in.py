"""Staff sign-in in the browser: two-factor set-up from the QR page, login with a code and with
a recovery code, and the password reset by email (aiosmtpd), in English and in Indonesian."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.pages import image_loaded, log_in, release_db, screenshot

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "violet harbour lantern 7"
RESET_LINK = re.compile(r"https?://[^/\s]+(/manage/password/reset/\S+)")

TEXTS = {
    "en": {
        "set_up": "Set up two-factor sign-in", "codes": "Your recovery codes",
        "code_page": "Two-factor sign-in", "recovery_left": "You used a recovery code; 9 left.",
        "forgot": "Forgot your password?", "sent": "If an active staff account has this address",
        "subject": "Choose a new password for Seminar registration",
        "reset": "Choose a new password",
        "saved": "Your new password is saved", "bad_code": "This code is not correct",
    },
    "id": {
        "set_up": "Siapkan masuk dua faktor", "codes": "Kode pemulihan Anda",
        "code_page": "Masuk dua faktor", "recovery_left": "Anda memakai kode pemulihan; tersisa 9.",
        "forgot": "Lupa kata sandi?", "sent": "Jika ada akun staf aktif dengan alamat ini",
        "subject": "Pilih kata sandi baru untuk Pendaftaran seminar",
        "reset": "Pilih kata sandi baru",
        "saved": "Kata sandi baru Anda tersimpan", "bad_code": "Kode ini tidak benar",
    },
}


def _submit(page, action: str) -> None:
    with page.expect_navigation():
        page.locator(f"form[action$='{action}'] [type=submit]").first.click()


def _log_out(page) -> None:
    _submit(page, "/manage/logout")
    page.wait_for_url("**/manage/login")


def _password_step(page, email: str, password: str) -> None:
    page.goto("/manage/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    _submit(page, "/manage/login")
    page.wait_for_url("**/manage/login/code")


def _code_step(page, code: str) -> None:
    page.locator("#code").fill(code)
    _submit(page, "/manage/login/code")


def _enrol(page, texts, lang) -> tuple[pyotp.TOTP, list[str]]:
    """From the account page: scan (read) the secret, confirm a code, keep the codes."""
    page.goto("/manage/account")
    page.get_by_role("link", name=texts["set_up"]).click()
    page.wait_for_url("**/manage/account/two-factor")
    expect(page.locator("h1")).to_have_text(texts["set_up"])
    assert image_loaded(page, "#two-factor-qr")
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    screenshot(page, f"two_factor_enrol_{lang}")
    page.locator("#code").fill(totp.now())
    _submit(page, "/manage/account/two-factor/enrol")
    expect(page.locator("h1")).to_have_text(texts["codes"])
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    return totp, codes


def _reset_by_email(page, smtp_server, email: str, texts) -> None:
    page.goto("/manage/login")
    page.get_by_role("link", name=texts["forgot"]).click()
    page.locator("#email").fill(email)
    _submit(page, "/manage/password/forgot")
    expect(page.locator(".flash-messages")).to_contain_text(texts["sent"])
    [received] = smtp_server.wait_for(1)
    assert received["message"]["Subject"] == texts["subject"]
    text = received["message"].get_body(("plain",)).get_content()
    page.goto(RESET_LINK.search(text).group(1))
    expect(page.locator("h1")).to_have_text(texts["reset"])
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("#confirm_password").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("form [type=submit]").click()
    page.wait_for_url("**/manage/login")
    expect(page.locator(".flash-messages")).to_contain_text(texts["saved"])


@pytest.mark.parametrize("lang", ["en", "id"])
def test_staff_sign_in_two_factor_and_password_reset(browsing, make_user, smtp_server, lang):
    texts = TEXTS[lang]
    email = f"security-{lang}@example.org"
    make_user("organizer", email=email, language=lang)
    release_db()
    browsing.allow_status(401)  # the wrong code on purpose
    page = browsing.new_page(locale="id-ID" if lang == "id" else "en-GB")

    log_in(page, email)
    totp, codes = _enrol(page, texts, lang)
    screenshot(page, f"two_factor_recovery_codes_{lang}")
    _log_out(page)

    _password_step(page, email, "correct horse battery staple")
    expect(page.locator("h1")).to_have_text(texts["code_page"])
    screenshot(page, f"two_factor_login_code_{lang}")
    _code_step(page, "000000")
    expect(page.locator("#code-error")).to_contain_text(texts["bad_code"])
    _code_step(page, totp.at(time.time() + 30))  # the set-up used the current step
    page.wait_for_url("**/manage/")
    _log_out(page)

    _password_step(page, email, "correct horse battery staple")
    _code_step(page, codes[0])
    page.wait_for_url("**/manage/")
    expect(page.locator(".flash-messages")).to_contain_text(texts["recovery_left"])
    _log_out(page)

    _reset_by_email(page, smtp_server, email, texts)
    _password_step(page, email, NEW_PASSWORD)  # two-factor sign-in stays on
    _code_step(page, codes[1])
    page.wait_for_url("**/manage/")
