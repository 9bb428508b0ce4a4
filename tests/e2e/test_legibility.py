"""Words a person must read meet WCAG AA's 4.5:1 against what is behind them, as rendered."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import sign_up, unique_email
from tests.e2e.rows import insert_rows, user_id_of

# For every element the selector finds: its text, and the contrast ratio of its text
# colour against its background composited over its ancestors' down to the (white) page.
# Colours go through a canvas, which turns any CSS colour (rgba, color(), p3) into sRGB.
TEXT_CONTRASTS = """(selector) => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = ([r, g, b, a], [R, G, B]) =>
    [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
  const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const backdrop = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const layer = rgba(getComputedStyle(node).backgroundColor);
      layers.push(layer);
      if (layer[3] === 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255]);
  };
  return [...document.querySelectorAll(selector)].map((element) => {
    const behind = backdrop(element);
    const text = over(rgba(getComputedStyle(element).color), behind);
    const [hi, lo] = [luminance(text), luminance(behind)].sort((x, y) => y - x);
    return [element.textContent, (hi + 0.05) / (lo + 0.05)];
  });
}"""
AA_TEXT = 4.5


def _illegible(page, selector: str) -> list[tuple[str, float]]:
    found = page.evaluate(TEXT_CONTRASTS, selector)
    assert found, f"nothing matched {selector}"
    return [(text, round(ratio, 2)) for text, ratio in found if ratio < AA_TEXT]


def test_status_badges_are_legible_in_every_colour(page, app_server):
    email = unique_email("badges")
    sign_up(page, app_server.base_url, email=email, name="Badge Reader")
    statuses = ["ended", "failed", "queued", "in-progress"]
    insert_rows(
        app_server,
        user_id_of(app_server, email),
        call_logs=[{"customer_name": f"Caller {s}", "status": s} for s in statuses],
        automation_logs=[{"status": s} for s in ("success", "warning", "error")],
    )
    page.goto(f"{app_server.base_url}/calls")
    expect(page.get_by_test_id("call-row")).to_have_count(len(statuses))
    assert _illegible(page, "[data-testid=call-row] .rt-Badge") == []
    page.goto(f"{app_server.base_url}/automations")
    expect(page.get_by_test_id("run-row")).to_have_count(3)
    assert _illegible(page, "[data-testid=run-row] .rt-Badge") == []
    page.goto(f"{app_server.base_url}/integrations")
    expect(page.get_by_test_id("vapi-status")).to_have_text("Not connected")
    assert _illegible(page, "[data-testid$=-status]") == []
