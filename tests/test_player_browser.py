"""The backprop player in a real headless browser: Debian's chromium, driven by playwright
through `executable_path` (no browser is downloaded).

The page is loaded from a file; keys and buttons are pressed as a person would; the frame
counter, the caption and the highlighted node are read from the page; every request the
page makes is recorded (there must be none but the page itself). Screenshots go to the
test's tmp dir (`pytest --basetemp=out` keeps them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograd.viz import player
from tests.test_viz import lecture_L, lecture_neuron

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make chromium)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HIGHLIGHT = "#db2777"


@pytest.fixture
def browser_page(tmp_path):
    """A chromium page with a fresh profile; yields (page, requests seen)."""
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 700},
        )
        try:
            page = context.new_page()
            requests: list = []
            page.on("request", lambda r: requests.append(r.url))
            yield page, requests
        finally:
            context.close()


def state(page):
    return page.evaluate(
        """() => {
        const root = document.querySelector('.crp');
        const frame = root.querySelectorAll('.crp-frame')[+root.dataset.frame];
        const marked = w => [...frame.querySelectorAll('g.node')].filter(g =>
            [...g.querySelectorAll('ellipse, rect')].some(s => s.getAttribute('stroke') === 'HIGHLIGHT'
                && +s.getAttribute('stroke-width') === w)).map(g => g.dataset.id);
        return {counter: root.querySelector('.crp-counter').textContent,
                caption: root.querySelector('.crp-caption').textContent,
                visible: [...root.querySelectorAll('.crp-frame')].filter(f => !f.hidden).length,
                current: frame.dataset.current, lit: marked(3), receiving: marked(2),
                width: frame.querySelector('svg').getAttribute('width'),
                height: frame.querySelector('svg').getAttribute('height')};
    }""".replace("HIGHLIGHT", HIGHLIGHT)
    )


def test_player_pages_through_the_neuron_with_keys_and_buttons(browser_page, tmp_path):
    page, requests = browser_page
    *_, o = lecture_neuron()
    o.backward()
    p = player(o)
    n = len(p)
    assert n == 12  # inputs, 5 ops forward; the seed, 5 ops backward
    url = p.save(tmp_path / "neuron.html").resolve().as_uri()
    page.goto(url)
    s = state(page)
    assert s["counter"] == f"1 / {n}" and s["visible"] == 1 and "forward 0/5" in s["caption"]
    sizes = {(s["width"], s["height"])}
    page.keyboard.press("End")
    assert state(page)["counter"] == f"{n} / {n}"
    page.keyboard.press("Home")
    for k in range(2, 8):  # → through the forward pass to the first backward step
        page.keyboard.press("ArrowRight")
        s = state(page)
        assert s["counter"] == f"{k} / {n}" and s["visible"] == 1
        sizes.add((s["width"], s["height"]))
    assert "the seed do/do = 1" in s["caption"]
    page.keyboard.press("ArrowRight")
    s = state(page)
    assert s["counter"] == f"8 / {n}" and "through tanh of o: n.grad = 0.5" in s["caption"]
    assert s["lit"] == [s["current"]] == ["o9"]  # the tanh op is the one highlighted
    assert s["receiving"] == ["n8"]  # and n, which it sends the gradient to, is outlined
    page.screenshot(path=str(tmp_path / "player_tanh_step.png"))
    page.keyboard.press("End")
    s = state(page)
    assert "x1.grad = -1.5; w1.grad = 1" in s["caption"] and s["lit"] == ["o2"]  # the last ×
    sizes.add((s["width"], s["height"]))
    page.screenshot(path=str(tmp_path / "player_last_step.png"))
    page.keyboard.press("ArrowLeft")
    assert state(page)["counter"] == f"{n - 1} / {n}"
    page.click("[data-act=prev]")
    assert state(page)["counter"] == f"{n - 2} / {n}"
    page.click("[data-act=next]")
    assert state(page)["counter"] == f"{n - 1} / {n}"
    page.fill("input[type=range]", "3")
    assert state(page)["counter"] == f"4 / {n}"
    assert len(sizes) == 1  # the same picture size in every frame: nothing jumps
    assert requests == [url]  # nothing but the page itself was requested


def test_play_runs_to_the_end_and_pauses(browser_page, tmp_path):
    page, requests = browser_page
    *_, L = lecture_L()
    L.backward()
    p = player(L, fps=20)
    url = p.save(tmp_path / "L.html").resolve().as_uri()
    page.goto(url)
    page.click("[data-act=play]")
    page.wait_for_function(
        f"document.querySelector('.crp-counter').textContent == '{len(p)} / {len(p)}'", timeout=10_000
    )
    assert page.text_content("[data-act=play]").strip() == "▶ play"  # paused by itself at the end
    s = state(page)
    assert "a.grad = 6; b.grad = -4" in s["caption"]  # the lecture's numbers, in the last step
    assert requests == [url]


def test_notebook_html_has_no_page_wrapper_and_two_players_do_not_clash(tmp_path):
    *_, o = lecture_neuron()
    o.backward()
    a, b = player(o), player(o)
    html_a = a._repr_html_()
    assert html_a.startswith('<div id="crp') and "<html" not in html_a
    assert a.uid != b.uid and f'id="{a.uid}a"' in html_a  # arrow marker ids are per player
    for banned in ("http://", "https://", "<link", "src="):
        assert banned not in html_a.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_gif_and_png_frames(tmp_path):
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):  # no cairosvg, or no cairo library under it
        pytest.skip("cairosvg (and the cairo library) are needed for GIF and PNG frames")
    from PIL import Image

    *_, L = lecture_L()
    L.backward()
    p = player(L)
    gif = p.save(tmp_path / "L.gif")
    with Image.open(gif) as im:
        assert im.n_frames == len(p) and im.size[0] > 300
    folder = p.save(tmp_path / "L.png")
    pngs = sorted(Path(folder).glob("frame_*.png"))
    assert len(pngs) == len(p) and pngs[0].read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="use .html, .gif or .png"):
        p.save(tmp_path / "L.mp4")


def test_player_arguments_are_checked():
    *_, L = lecture_L()
    for kwargs, message in (
        ({"fps": 0}, "fps is frames per second"),
        ({"max_frames": 2}, "max_frames must be"),
        ({"rankdir": "down"}, "player: rankdir must be"),
    ):
        with pytest.raises(ValueError, match=message):
            player(L, **kwargs)
    assert len(player(L, max_frames=6)) <= 6 + 2  # several steps share a frame


def test_shared_nodes_show_plus_equals_and_partial_sums():
    """f = (a*b) * (a+b): a and b each feed two ops; their .grad is summed with +=, and a
    frame between the two contributions shows the partial sum as (so far)."""
    from autograd import Value

    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    f = (a * b) * (a + b)
    f.label = "f"
    f.backward()
    p = player(f)
    text = " | ".join(p.captions)
    assert "a.grad += 3" in text and "a.grad += -6" in text  # the two parts of d f / d a = -3
    assert "b.grad += -2" in text and "b.grad += -6" in text  # and of d f / d b = -8
    partial = [k for k, svg in enumerate(p.frames) if "(so far)" in svg]
    assert partial and "grad -3.0000" in p.frames[-1] and "grad -8.0000" in p.frames[-1]


def test_player_of_a_tensor_graph_freed_by_backward(monkeypatch):
    from autograd import pass_trace
    from tests.test_viz_tensor import small_mlp

    monkeypatch.setattr(pass_trace, "KEEP_TRACE", True)
    model, x, loss = small_mlp()
    loss.backward()
    p = player(loss, model=model)
    assert len(p) == 14  # the inputs, 6 ops forward; the seed, 6 ops backward
    assert "0.weight.grad = [[4, 8], [4, 8], [0, 0]]" in p.captions[-1].replace(".,", ",").replace(".]", "]")
    assert "values freed by backward" in p.frames[3]
