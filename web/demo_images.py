"""Product pictures for the demo brand, drawn with Pillow when the demo is created.

Each product gets a packshot-like picture of its kind (bottle, can, tea cake, gift box, bread loaf,
snack bag) in colours taken from its name (orange juice is orange, green tea green), and a second
one showing the case it is sold in, so the storefront and its gallery look like a real catalogue.
No text is drawn (no font is needed) and nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw, ImageFilter

SIZE = 640
Color = tuple[int, int, int]

# (keyword in the product name, body colour, accent colour)
COLOURS: list[tuple[str, Color, Color]] = [
    ("橙", (245, 140, 30), (255, 206, 120)), ("白桃", (246, 160, 170), (255, 226, 228)),
    ("苏打", (120, 190, 230), (225, 243, 252)), ("乌龙", (176, 110, 50), (240, 205, 150)),
    ("绿茶", (80, 165, 80), (205, 236, 190)), ("红茶", (170, 40, 40), (246, 190, 170)),
    ("茉莉", (160, 200, 90), (245, 250, 215)), ("普洱", (110, 70, 40), (205, 170, 120)),
    ("铁观音", (60, 120, 70), (215, 190, 110)), ("面包", (200, 140, 70), (245, 215, 160)),
    ("饼干", (230, 185, 90), (255, 240, 200)), ("燕麦", (215, 175, 105), (120, 160, 70)),
    ("蛋黄", (240, 180, 40), (200, 60, 40)), ("月饼", (190, 30, 40), (240, 190, 70)),
    ("麻花", (190, 120, 50), (250, 220, 150)), ("粥", (160, 50, 60), (245, 200, 150)),
    ("水", (70, 150, 220), (215, 238, 252)),
]


def _colours(name: str) -> tuple[Color, Color]:
    for word, body, accent in COLOURS:
        if word in name:
            return body, accent
    digest = hashlib.sha256(name.encode()).digest()
    return (digest[0] // 2 + 80, digest[1] // 2 + 80, digest[2] // 2 + 80), (240, 240, 240)


def kind_of(name: str, unit: str) -> str:
    if "礼盒" in name:
        return "box"
    if "饼" in name and "茶" in name:
        return "cake"
    if "面包" in name:
        return "loaf"
    if "罐" in name or "粥" in name or "苏打水" in name:
        return "can"
    if any(w in name for w in ("饼干", "麻花", "燕麦", "蛋黄酥")):
        return "bag"
    return "bottle"


def _backdrop(tint: Color) -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), (250, 250, 252))
    draw = ImageDraw.Draw(img)
    for y in range(SIZE):  # a soft studio gradient with a hint of the product's colour
        t = y / SIZE
        draw.line([(0, y), (SIZE, y)], fill=tuple(int(252 - (252 - (c + 255 * 3) / 4) * t * 0.6) for c in tint))
    shadow = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(shadow).ellipse([150, 520, 490, 580], fill=90)
    img.paste((0, 0, 0), mask=shadow.filter(ImageFilter.GaussianBlur(18)).point(lambda v: v // 2))
    return img


def _shade(c: Color, f: float) -> Color:
    return tuple(max(0, min(255, int(v * f))) for v in c)  # type: ignore[return-value]


def _bottle(d: ImageDraw.ImageDraw, x: int, w: int, body: Color, accent: Color, top: int = 110) -> None:
    neck = w // 3
    d.rounded_rectangle([x - neck // 2, top, x + neck // 2, top + 40], 8, fill=_shade(body, .7))  # cap
    d.polygon([(x - neck // 2, top + 40), (x + neck // 2, top + 40), (x + w // 2, top + 130),
               (x - w // 2, top + 130)], fill=_shade(accent, .95))
    d.rounded_rectangle([x - w // 2, top + 120, x + w // 2, 540], 36, fill=_shade(accent, .95))
    d.rectangle([x - w // 2, top + 210, x + w // 2, top + 330], fill=body)  # label band
    d.rectangle([x - w // 2, top + 250, x + w // 2, top + 262], fill=_shade(body, 1.25))
    d.rounded_rectangle([x - w // 2 + 14, top + 140, x - w // 2 + 30, 520], 8, fill=(255, 255, 255))  # shine


def _can(d: ImageDraw.ImageDraw, x: int, w: int, body: Color, accent: Color) -> None:
    d.ellipse([x - w // 2, 170, x + w // 2, 220], fill=(200, 200, 205))
    d.rectangle([x - w // 2, 195, x + w // 2, 515], fill=body)
    d.ellipse([x - w // 2, 490, x + w // 2, 540], fill=_shade(body, .8))
    d.rectangle([x - w // 2, 300, x + w // 2, 380], fill=accent)
    d.rectangle([x - w // 2 + 16, 205, x - w // 2 + 34, 505], fill=_shade(body, 1.3))


def _box(d: ImageDraw.ImageDraw, body: Color, accent: Color) -> None:
    d.polygon([(140, 240), (420, 240), (500, 190), (220, 190)], fill=_shade(body, 1.2))  # lid top
    d.polygon([(420, 240), (500, 190), (500, 470), (420, 530)], fill=_shade(body, .75))  # side
    d.rectangle([140, 240, 420, 530], fill=body)
    d.rectangle([265, 240, 295, 530], fill=accent)  # ribbon
    d.polygon([(265, 240), (295, 240), (375, 190), (345, 190)], fill=accent)
    d.ellipse([240, 200, 320, 250], outline=accent, width=12)


def _cake(d: ImageDraw.ImageDraw, body: Color, accent: Color) -> None:
    d.ellipse([130, 300, 510, 540], fill=_shade(body, .75))
    d.ellipse([130, 270, 510, 500], fill=body)
    d.ellipse([190, 310, 450, 460], outline=accent, width=10)
    d.ellipse([290, 360, 350, 410], fill=accent)


def _loaf(d: ImageDraw.ImageDraw, body: Color, accent: Color) -> None:
    d.rounded_rectangle([120, 300, 520, 530], 40, fill=_shade(body, .85))
    d.ellipse([110, 200, 530, 400], fill=body)
    for i in range(4):
        x = 200 + i * 80
        d.arc([x - 40, 240, x + 40, 330], 200, 340, fill=accent, width=10)
    d.rectangle([120, 420, 520, 470], fill=(235, 235, 240))  # the bag's band


def _bag(d: ImageDraw.ImageDraw, body: Color, accent: Color) -> None:
    d.polygon([(170, 150), (470, 150), (500, 540), (140, 540)], fill=body)
    for i in range(9):  # crimped top and bottom
        x = 170 + i * 37
        d.polygon([(x, 150), (x + 18, 130), (x + 37, 150)], fill=_shade(body, .8))
        d.polygon([(140 + i * 40, 540), (160 + i * 40, 560), (180 + i * 40, 540)], fill=_shade(body, .8))
    d.ellipse([220, 280, 420, 460], fill=accent)
    d.ellipse([270, 320, 370, 420], fill=_shade(accent, .8))
    d.rectangle([190, 180, 210, 520], fill=_shade(body, 1.25))


def _draw(kind: str, body: Color, accent: Color, case: bool) -> Image.Image:
    img = _backdrop(body)
    d = ImageDraw.Draw(img)
    if case:  # the case it ships in, with a few units in front
        d.polygon([(90, 260), (470, 260), (550, 210), (170, 210)], fill=(214, 178, 128))
        d.polygon([(470, 260), (550, 210), (550, 470), (470, 530)], fill=(170, 132, 86))
        d.rectangle([90, 260, 470, 530], fill=(196, 158, 108))
        d.rectangle([90, 330, 470, 360], fill=body)
    if kind == "bottle":
        for x, w in (((200, 110), (330, 110), (460, 110)) if case else ((320, 150),)):
            _bottle(d, x, w, body, accent, top=190 if case else 110)
    elif kind == "can":
        for x in ((210, 320, 430) if case else (320,)):
            _can(d, x, 100 if case else 170, body, accent)
    elif kind == "box":
        _box(d, body, accent)
    elif kind == "cake":
        _cake(d, body, accent)
    elif kind == "loaf":
        _loaf(d, body, accent)
    else:
        _bag(d, body, accent)
    return img


def product_pictures(name: str, unit: str) -> list[bytes]:
    """JPEG bytes: the product itself, then the case it is sold in."""
    body, accent = _colours(name)
    kind = kind_of(name, unit)
    out = []
    for case in (False, True):
        buf = io.BytesIO()
        _draw(kind, body, accent, case).save(buf, "JPEG", quality=82, optimize=True)
        out.append(buf.getvalue())
    return out
