"""The browsable API documentation: the vendored Swagger UI runs under the app's CSP."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_api_docs_render_every_operation_without_errors(browsing):
    page = browsing.new_page()
    page.goto("/api/v1/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    spec = page.request.get("/api/v1/openapi.json").json()
    expected = sum(len([m for m in item if m in ("get", "post", "put", "patch", "delete")])
                   for item in spec["paths"].values())
    expect(operations).to_have_count(expected)
    expect(page.locator(".info .title")).to_contain_text("Seminar registration API")
    browsing.assert_clean()  # no CSP violation, no failed request
