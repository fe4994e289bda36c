"""Synthetic camera frames: a face photo mapped on its own 468-point mesh, in 3D.

Why this exists: the evaluation needs bona fide captures whose head pose, blinks and
mouth openings are *known*, lit by the flash colours the challenge displayed, and
attacks (a flat photo, a replay, ...) made from the same face. No video data set ships
with an installable package, so the frames are rendered from a still photo.

How a bona fide frame is made (:class:`HeadRenderer`):

* the photo's 468 landmarks (x, y, z in pixels, from the engine's own mesh model) are
  triangulated once (Delaunay on x, y; the triangles the photo sees edge-on along the
  outline are wound to face out of the head) and used as texture coordinates;
* per frame the vertices are deformed (lower lip and jaw moved down for an open mouth,
  the gap between the inner lips filled with a dark mouth colour), lifted to 3D by
  undoing the webcam's perspective (the photo is a perspective view too, so the
  neutral pose reproduces it exactly), rotated by yaw / pitch / roll about a head
  centre behind the face, shifted, projected with the webcam's perspective, and every
  triangle is drawn back to front with an affine texture warp (rasterised triangle
  ids + barycentric sampling in numpy);
* a blink moves the upper-eyelid landmarks down onto the lower lid (the ground truth,
  :meth:`HeadRenderer.landmarks`) and draws the lid: skin from above the crease down
  to the moved lid line, blended softly upward, with a dark lash line along it;
* the rest of the head (hair, ears, neck) is a **3D shell** joined to the mesh's rim
  and turned with it (:meth:`FaceSource._setup_shell`): out to the photo's head
  silhouette at the depth of the head centre, then around the back. Only what differs
  from the wall is head (the wall seen between jaw and hair stays behind). The scene
  behind the head is the photo with the head region filled in, and stays fixed;
  the neck turns with the head (a simplification: a real neck twists less);
* light: ``pixel = albedo * (ambient + k * screen_rgb * cos)``, with ``cos`` from the
  interpolated surface normal toward the screen (the screen sits by the camera),
  ``k`` large on the face (near the screen), smaller on the hair, and about 1/25 of it
  on the background (inverse square of the distance). The photo's pixels are the
  albedo under the page's neutral grey at the angle the photo saw each surface;
* the camera adds Gaussian noise and JPEG compression (:func:`encode`).

Angle conventions of this module (raw, *unmirrored* camera frame, y down):
``yaw > 0`` moves the nose toward image right (the subject turns to *their* left),
``pitch > 0`` moves the nose up (looking up), ``roll > 0`` is clockwise on screen.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage
from scipy.spatial import ConvexHull, Delaunay

FRAME_W, FRAME_H = 640, 480

#: MediaPipe face-mesh index sets (face_mesh_connections.py, eye/lip contours).
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)
# Eyelids, each list from the outer eye corner to the inner one, paired index by index.
R_UPPER0 = (246, 161, 160, 159, 158, 157, 173)
R_UPPER1 = (247, 30, 29, 27, 28, 56, 190)
R_LOWER0 = (7, 163, 144, 145, 153, 154, 155)
L_UPPER0 = (466, 388, 387, 386, 385, 384, 398)
L_UPPER1 = (467, 260, 259, 257, 258, 286, 414)
L_LOWER0 = (249, 390, 373, 374, 380, 381, 382)
LIP_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS = (61, 291)
EYE_OUTER = (33, 263)


@dataclass(frozen=True)
class Pose:
    """Head state in one frame. Angles in degrees (see the module's conventions)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    dx: float = 0.0  # pixels
    dy: float = 0.0
    scale: float = 1.0
    blink: float = 0.0  # 0 open .. 1 closed (both eyes)
    mouth: float = 0.0  # 0 closed .. 1 wide open


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """R = Rz(roll) Ry(yaw) Rx(pitch) in image axes (x right, y down, z away)."""
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    rx = np.array([[1, 0, 0], [0, math.cos(p), math.sin(p)], [0, -math.sin(p), math.cos(p)]])
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def hex_rgb(color: str | None, neutral: float = 0.6) -> np.ndarray:
    """A "#RRGGBB" screen colour as 0..1 floats; ``None`` = the page's neutral grey."""
    if not color:
        return np.full(3, neutral, dtype=np.float32)
    c = color.lstrip("#")
    return np.array([int(c[i : i + 2], 16) / 255.0 for i in (0, 2, 4)], dtype=np.float32)


def fill_holes(img: np.ndarray, mask: np.ndarray, sigmas=(4, 8, 16, 32, 64)) -> np.ndarray:
    """Fill ``mask`` (True = unknown) with a smooth blend of the known surroundings
    (normalised convolution at growing scales); good enough for a blurred backdrop."""
    known = (~mask).astype(np.float32)
    out = img.astype(np.float32).copy()
    todo = mask.copy()
    for s in sigmas:
        w = ndimage.gaussian_filter(known, s)
        num = np.stack([ndimage.gaussian_filter(out[..., c] * known, s) for c in range(3)], -1)
        ok = todo & (w > 1e-3)
        out[ok] = num[ok] / w[ok][:, None]
        todo &= ~ok
        if not todo.any():
            break
    if todo.any():
        out[todo] = out[~mask].mean(0)
    return out


def _polygon_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    im = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(im).polygon([tuple(p) for p in pts[:, :2].tolist()], fill=255)
    return np.asarray(im) > 127


def _bilinear(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0 = x.astype(np.int32)
    y0 = y.astype(np.int32)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    a = img[y0, x0]
    b = img[y0, x0 + 1]
    c = img[y0 + 1, x0]
    d = img[y0 + 1, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


@dataclass(frozen=True)
class Lighting:
    """Screen light on the subject: ``albedo * (ambient + k * screen * cos)``.

    The photo's pixels are taken as the albedo lit by the page's neutral grey, so a
    frame under the neutral screen reproduces the photo.
    """

    ambient: float = 0.8
    k_face: float = 0.35
    k_head: float = 0.25  # hair / neck
    k_background: float = 0.014  # ~ k_face / 25: the wall is ~5x farther than the face

    def gain(
        self,
        k: float,
        screen: np.ndarray,
        cos: np.ndarray | float,
        photo_cos: np.ndarray | float = 1.0,
    ) -> np.ndarray:
        """Light now over the light in the photo; ``photo_cos`` is the surface's cosine
        toward the screen in the photo (a cheek the photo saw obliquely was already
        darker there: only the change of angle darkens or brightens it)."""
        neutral = self.ambient + k * 0.6 * np.asarray(photo_cos, np.float32)[..., None]
        return (self.ambient + k * screen * np.asarray(cos, np.float32)[..., None]) / neutral


class FaceSource:
    """A face photo placed in a 640x480 frame, with its landmarks and layers.

    ``landmarks`` are (468, 3) frame pixels; build with :meth:`from_photo`.
    """

    def __init__(self, photo: np.ndarray, landmarks: np.ndarray, name: str = "face") -> None:
        self.name = name
        self.photo = photo.astype(np.float32)  # (480, 640, 3) texture and scene
        self.lm = landmarks.astype(np.float64)
        h, w = photo.shape[:2]
        oval = self.lm[list(FACE_OVAL), :2]
        self.face_width = float(oval[:, 0].max() - oval[:, 0].min())
        self.face_height = float(oval[:, 1].max() - oval[:, 1].min())
        # Head centre: behind the face by half its width (a head is ~ as deep as wide).
        self.center = np.array(
            [oval[:, 0].mean(), oval[:, 1].mean(), self.lm[:, 2].mean() + 0.5 * self.face_width]
        )
        self.tri = self._triangulate()
        # The mesh's rim: its outline in the photo (the convex hull of the landmarks,
        # counter-clockwise), where the head shell joins it.
        self.rim = ConvexHull(self.lm[:, :2]).vertices.astype(np.int32)
        face_mask = _polygon_mask((h, w), self.lm[self.rim])
        # The head: an ellipse around the face, taller upward for the hair.
        cx, cy = oval[:, 0].mean(), oval[:, 1].mean()
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rx, ry = 1.0 * self.face_width, 1.05 * self.face_height
        e = ((xx - cx) / rx) ** 2 + ((yy - (cy - 0.15 * self.face_height)) / ry) ** 2
        head = e < 1.0
        ellipse = np.clip((1.0 - e) / 0.25, 0, 1)
        grown = ndimage.binary_dilation(head, iterations=6)
        self.background = fill_holes(self.photo, grown)
        # Within the ellipse, only what differs from the wall behind it is head: the
        # wall seen between the jaw and the hair must not turn with the head.
        diff = np.linalg.norm(self.photo - self.background, axis=2)
        solid = ndimage.gaussian_filter(np.clip((diff - 20.0) / 30.0, 0, 1), 1.5)
        near = ndimage.binary_dilation(face_mask, iterations=3)
        self.head_alpha = (ellipse * np.maximum(solid, near)).astype(np.float32)
        # The texture. Along its outline the photo sees the face edge-on, and where
        # the wall shows between jaw and hair the outline's pixels are wall; a turn
        # shows that surface, and it is skin: wall-coloured pixels near the outline
        # take the colour of the skin just inside.
        band = near & ~ndimage.binary_erosion(face_mask, iterations=6)
        wall = band & (diff < 40.0)
        skin = fill_holes(self.photo, wall | ~near, sigmas=(2, 4, 8, 16))
        self.texture = self.photo.copy()
        self.texture[wall] = skin[wall]
        self._setup_shell(cx, cy - 0.15 * self.face_height, rx, ry)
        self._setup_expressions()
        # Eyelid skin colour: the skin below each eye (the lid itself has lashes on it).
        self.lid_colors = []
        for low in ((25, 110, 24, 23, 22, 26, 112), (255, 339, 254, 253, 252, 256, 341)):
            pts = self.lm[list(low), :2]
            samples = _bilinear(self.photo, pts[:, 0], pts[:, 1] + 0.04 * self.face_width)
            self.lid_colors.append(0.95 * np.median(samples, axis=0).astype(np.float32))

    @classmethod
    def from_photo(
        cls,
        rgb: np.ndarray,
        landmarks: np.ndarray,
        face_width: float = 175.0,
        center: tuple[float, float] = (FRAME_W / 2, FRAME_H * 0.45),
        name: str = "face",
    ) -> FaceSource:
        """Scale and place ``rgb`` (with its (468, 3) landmarks) so the face is
        ``face_width`` pixels wide at ``center`` of a 640x480 frame."""
        oval = landmarks[list(FACE_OVAL), :2]
        s = face_width / float(oval[:, 0].max() - oval[:, 0].min())
        c0 = oval.mean(0)
        # Output (x, y) -> input: (x - center) / s + c0.
        coeffs = (1 / s, 0, c0[0] - center[0] / s, 0, 1 / s, c0[1] - center[1] / s)
        img = Image.fromarray(rgb).transform(
            (FRAME_W, FRAME_H), Image.AFFINE, coeffs, resample=Image.BICUBIC
        )
        arr = np.asarray(img)
        # Parts of the frame the photo does not cover: extend its edge colours.
        cover = np.asarray(
            Image.new("L", rgb.shape[1::-1], 255).transform(
                (FRAME_W, FRAME_H), Image.AFFINE, coeffs, resample=Image.NEAREST
            )
        )
        if (cover == 0).any():
            arr = fill_holes(arr, cover == 0).clip(0, 255).astype(np.uint8)
        lm = landmarks.astype(np.float64).copy()
        lm[:, :2] = (lm[:, :2] - c0) * s + np.array(center)
        lm[:, 2] *= s
        return cls(arr, lm, name=name)

    def _triangulate(self) -> np.ndarray:
        """Delaunay triangles of the landmarks (x, y), all facing out of the head.

        Delaunay on x, y winds every triangle the same way as seen by the camera,
        which is the right side for the triangles the photo sees. Those it sees
        edge-on (along the face outline, where the mesh runs straight back) have a
        near-zero area there and their winding is arbitrary; a turn shows them, and
        the wrong winding would cull them and open gaps in the near cheek. Their
        outside is the one facing away from the head centre.
        """
        tri = Delaunay(self.lm[:, :2]).simplices.astype(np.int32)
        p = self.lm
        n = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])
        n *= -1.0 if np.median(n[:, 2]) > 0 else 1.0  # front-facing: n_z < 0
        norm = np.maximum(np.linalg.norm(n, axis=1), 1e-9)
        out = ((p[tri].mean(1) - self.center) * n).sum(1)
        flip = (np.abs(n[:, 2]) < 0.3 * norm) & (out < 0)
        tri[flip] = tri[flip][:, [0, 2, 1]]
        return tri

    # -- the head around the face ------------------------------------------------------

    #: Shell rows in front, from the mesh rim (0) to the head's silhouette (1).
    SHELL_FRONT = (0.0, 0.2, 0.4, 0.6, 0.75, 0.87, 0.95, 1.0)
    #: Shell rows behind the silhouette: angle (degrees) around the head from it.
    SHELL_BACK = (12.0, 25.0, 40.0, 55.0, 70.0)

    def _setup_shell(self, ex: float, ey: float, rx: float, ry: float) -> None:
        """The hair, ears and neck as a 3D shell that turns with the head.

        Why: in a frontal photo the head around the face (hair, ears) lies at about
        the depth of the neck's rotation axis, well behind the face. Turned, that part
        moves *against* the nose (the near ear and hair come into view, the far ones
        go behind the cheek); a flat layer fitted to the face outline moves with the
        nose instead, which is what a smaller turn looks like.

        Geometry: one ray per rim landmark, from the head ellipse's centre through the
        landmark to the ellipse (the photo's head silhouette).

        * Front rows, from the rim (the mesh's own boundary points, so the surfaces
          share an edge and no gap opens between them when turned) to the
          silhouette, textured by the photo (hair and ears; the wall seen through
          is transparent): depth follows a quarter ellipse to the head centre's
          depth at the silhouette (the widest section of a head, ~ as deep as wide,
          is its middle), edge-on there as a round head.
        * Back rows continue around the head over an ellipse as deep as the front
          half (half a face width), textured with the hair just inside the
          silhouette (the photo does not show the back of the head).
        """
        rim = self.lm[self.rim]
        centre = np.array([ex, ey])
        d = rim[:, :2] - centre
        e = (d[:, 0] / rx) ** 2 + (d[:, 1] / ry) ** 2
        self._sil = centre + d / np.sqrt(e)[:, None]  # (K, 2) silhouette points
        self._shell_centre = centre
        k = len(self.rim)
        rows = len(self.SHELL_FRONT) + len(self.SHELL_BACK)
        # Quads between ray i and i+1 (closed loop), rows j and j+1, as two triangles.
        tri = []
        for j in range(rows - 1):
            for i in range(k):
                a, b = j * k + i, j * k + (i + 1) % k
                c, dd = a + k, b + k
                tri += [(a, b, dd), (a, dd, c)]
        self.shell_tri = np.array(tri, dtype=np.int32)
        self.shell_frontal = self.shell_vertices(self.lm)
        # Texture coordinates: the photo where each vertex is seen frontally; the
        # back takes the hair just inside the silhouette.
        front = self.shell_frontal[: k * len(self.SHELL_FRONT), :2]
        back_uv = centre + 0.85 * (self._sil - centre)
        self.shell_uv = np.vstack([front, *[back_uv] * len(self.SHELL_BACK)])
        # Triangles whose texture is all wall (transparent) are never drawn: alpha
        # on a grid of points in each, dilated by more than the grid's spacing.
        g = [(i, j, 6 - i - j) for i in range(7) for j in range(7 - i)]
        w = np.array(g, dtype=np.float64) / 6.0  # (28, 3) barycentric weights
        uv = np.einsum("pk,tkc->tpc", w, self.shell_uv[self.shell_tri])
        grown = ndimage.maximum_filter(self.head_alpha, size=15)
        seen = _bilinear(grown[..., None], uv[..., 0].ravel(), uv[..., 1].ravel())
        self.shell_opaque = seen.reshape(len(tri), -1).max(1) > 1e-3

    def shell_vertices(self, lm: np.ndarray) -> np.ndarray:
        """(rows * K, 3) shell vertices (frontal photo space) for landmarks ``lm``."""
        rim = lm[self.rim]
        zc = self.center[2]
        out = []
        for t in self.SHELL_FRONT:
            xy = rim[:, :2] + t * (self._sil - rim[:, :2])
            z = zc - (zc - rim[:, 2]) * math.sqrt(max(0.0, 1.0 - t * t))
            out.append(np.column_stack([xy, z]))
        depth = zc - self.lm[:, 2].mean()  # the head is as deep behind its centre
        for a in self.SHELL_BACK:
            ca, sa = math.cos(math.radians(a)), math.sin(math.radians(a))
            xy = self._shell_centre + ca * (self._sil - self._shell_centre)
            out.append(np.column_stack([xy, np.full(len(xy), zc + sa * depth)]))
        return np.vstack(out)

    # -- expressions -------------------------------------------------------------------

    def _setup_expressions(self) -> None:
        lm = self.lm
        left, right = lm[MOUTH_CORNERS[0], :2], lm[MOUTH_CORNERS[1], :2]
        self.mouth_width = float(np.linalg.norm(right - left))
        # Face-aligned axes (eyes level) so "below the mouth" survives a tilted photo.
        ex = lm[EYE_OUTER[1], :2] - lm[EYE_OUTER[0], :2]
        ex /= np.linalg.norm(ex)
        ey = np.array([-ex[1], ex[0]])
        mid = (left + right) / 2
        u = (lm[:, :2] - mid) @ ex
        v = (lm[:, :2] - mid) @ ey
        up = np.array(LIP_UPPER_INNER)
        lo = np.array(LIP_LOWER_INNER)
        order = np.argsort(u[up])
        upper_v = np.interp(u, u[up][order], v[up][order])
        order = np.argsort(u[lo])
        lower_v = np.interp(u, u[lo][order], v[lo][order])
        half = self.mouth_width / 2
        inside = np.abs(u) <= half
        split = (upper_v + lower_v) / 2
        below = np.where(inside, v > split, v > max(0.0, float(v[list(MOUTH_CORNERS)].max())))
        below[list(LIP_LOWER_INNER[1:-1])] = True
        below[list(LIP_UPPER_INNER)] = False
        below[list(MOUTH_CORNERS)] = False
        # The jaw hinges: the lip middle drops most, the corners and the jaw sides less.
        inner = 0.3 + 0.7 * np.cos(0.5 * np.pi * np.clip(np.abs(u) / half, 0, 1))
        outer = 0.3 * np.clip(1 - (np.abs(u) - half) / (0.5 * self.face_width), 0, 1)
        taper = np.where(inside, inner, outer)
        taper = np.where(inside | (v > 0.4 * self.face_height), np.maximum(taper, 0.3), taper)
        self.jaw_weight = np.where(below, taper, 0.0)
        self.jaw_dir = np.array([ey[0], ey[1], 0.0])

    def deform(self, blink: float, mouth: float) -> np.ndarray:
        """Landmarks (468, 3) with the eyes ``blink`` closed and the mouth ``mouth`` open."""
        v = self.lm.copy()
        if blink > 0:
            for up0, up1, lo0 in ((R_UPPER0, R_UPPER1, R_LOWER0), (L_UPPER0, L_UPPER1, L_LOWER0)):
                a, b, c = list(up0), list(up1), list(lo0)
                gap = self.lm[c] - self.lm[a]
                # Closed: both lids meet a little above the lower lid line, so the
                # triangles over the eyeball collapse and the lid skin covers it.
                v[a] += blink * 1.0 * gap
                v[b] += blink * 0.5 * gap
                v[c] -= blink * 0.1 * gap
        if mouth > 0:
            d = mouth * 0.3 * self.mouth_width
            v += self.jaw_weight[:, None] * d * self.jaw_dir[None, :]
        return v


class HeadRenderer:
    """Renders :class:`Pose` s of one :class:`FaceSource` (see the module docstring)."""

    def __init__(self, source: FaceSource, lighting: Lighting | None = None) -> None:
        self.src = source
        self.light = lighting or Lighting()
        # Camera distance in pixel units (= the focal length in pixels): a ~50 degree
        # (horizontal) webcam, the face ~55 cm away.
        self.distance = 4.0 * source.face_width
        self.mouth_color = np.array([70, 28, 30], dtype=np.float32)
        self._bg_cache: dict[str, np.ndarray] = {}
        # Triangle winding of the frontal meshes: normals must face the camera (for the
        # shell, judged on its front rows: its back faces away).
        self._wind = self._winding(source.lm, source.tri)
        front_rows = (len(source.SHELL_FRONT) - 1) * len(source.rim) * 2
        self._shell_wind = self._winding(source.shell_frontal, source.shell_tri[:front_rows])
        # How squarely the photo saw each vertex (the light already in its pixels).
        self._face_cos0 = self._vertex_cos(self.project(Pose()), source.tri, self._wind)
        self._shell_cos0 = self._vertex_cos(
            self.project(Pose(), source.shell_frontal), source.shell_tri, self._shell_wind
        )

    @staticmethod
    def _winding(p: np.ndarray, tri: np.ndarray) -> float:
        """-1 or 1: the sign that makes the (mostly camera-facing) triangles' normals
        point toward the camera."""
        n = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])
        return -1.0 if np.median(n[:, 2]) > 0 else 1.0

    def project(self, pose: Pose, points: np.ndarray | None = None) -> np.ndarray:
        """3D vertices (N, 3) after pose, and their image x, y (columns 0, 1)."""
        src = self.src
        v = (src.lm if points is None else points).copy()
        # The photo is itself a perspective view: its x, y are where the camera saw
        # each point, so lift them back to 3D before turning the head (the inverse of
        # the projection below): the neutral pose reproduces the photo exactly, and
        # the near parts (nose) are not magnified twice.
        z0 = src.lm[:, 2].mean()
        lift = (self.distance + (v[:, 2] - z0)) / self.distance
        v[:, :2] = src.center[:2] + (v[:, :2] - src.center[:2]) * lift[:, None]
        r = rotation(pose.yaw, pose.pitch, pose.roll)
        q = (v - src.center) @ r.T * pose.scale + src.center
        q[:, 0] += pose.dx
        q[:, 1] += pose.dy
        # Perspective about the face centre depth.
        f = self.distance / (self.distance + (q[:, 2] - z0))
        out = q.copy()
        out[:, 0] = src.center[0] + pose.dx + (q[:, 0] - src.center[0] - pose.dx) * f
        out[:, 1] = src.center[1] + pose.dy + (q[:, 1] - src.center[1] - pose.dy) * f
        return out

    def landmarks(self, pose: Pose) -> np.ndarray:
        """Where the 468 landmarks land in the frame for ``pose`` (ground truth)."""
        return self.project(pose, self.src.deform(pose.blink, pose.mouth))

    def render(
        self, pose: Pose, screen: str | None = None, background: np.ndarray | None = None
    ) -> np.ndarray:
        """A float32 (480, 640, 3) frame (0..255, no noise) of ``pose`` lit by ``screen``."""
        src, light = self.src, self.light
        col = hex_rgb(screen)
        if background is None:
            # The lit backdrop depends on the screen colour only: cache it.
            key = (screen or "").upper()
            frame = self._bg_cache.get(key)
            if frame is None:
                frame = src.background * light.gain(light.k_background, col, 1.0)
                self._bg_cache[key] = frame
            frame = frame.copy()
        else:
            frame = background * light.gain(light.k_background, col, 1.0)

        # The mesh keeps its eyes open; a blink is an eyelid drawn over the eye below.
        deformed = src.deform(0.0, pose.mouth)
        verts = self.project(pose, deformed)
        r = rotation(pose.yaw, pose.pitch, pose.roll)
        # The head around the face (hair, ears, neck): a 3D shell posed like the face.
        self._draw_shell(frame, self.project(pose, src.shell_vertices(deformed)), col)

        self._draw_mesh(frame, verts, col)
        if pose.mouth > 0.02:
            mouth = np.array(LIP_UPPER_INNER + LIP_LOWER_INNER[::-1][1:-1])
            m = _polygon_mask(frame.shape[:2], verts[mouth])
            frame[m] = self.mouth_color * light.gain(light.k_face, col, 0.5)[0]
        if pose.blink > 0.02:
            self._draw_lids(frame, verts, self.landmarks(pose), col, r)
        return frame

    def _draw_lids(
        self,
        frame: np.ndarray,
        open_: np.ndarray,
        closed: np.ndarray,
        col: np.ndarray,
        r: np.ndarray,
    ) -> None:
        """Upper eyelids lowered to the blink's margin (the landmarks the blink moved):
        lid skin from above the crease down to the margin, blended softly into the skin
        above (a hard edge there reads as the top of an open eye), and a lash line."""
        gain = self.light.gain(self.light.k_face, col, max(0.0, float(r[2, 2])))[0]
        h, w = frame.shape[:2]
        fw = self.src.face_width
        for (outer, inner), up0, up1, skin in zip(
            ((33, 133), (263, 362)),
            (R_UPPER0, L_UPPER0),
            (R_UPPER1, L_UPPER1),
            self.src.lid_colors,
            strict=True,
        ):
            crease = open_[list(up1), :2]
            top = crease + 0.7 * (crease - open_[list(up0), :2])
            margin = closed[list(up0), :2][::-1]
            corners = open_[[outer, inner], :2]
            poly = np.vstack([corners[:1], top, corners[1:], margin])
            x0, y0 = np.floor(poly.min(0)).astype(int) - 4
            x1, y1 = np.ceil(poly.max(0)).astype(int) + 5
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if x1 <= x0 or y1 <= y0:
                continue
            local = poly - (x0, y0)
            im = Image.new("L", (x1 - x0, y1 - y0), 0)
            ImageDraw.Draw(im).polygon([tuple(p) for p in local.tolist()], fill=255)
            im = im.filter(ImageFilter.GaussianBlur(max(1.0, 0.01 * fw)))
            alpha = np.asarray(im, dtype=np.float32)[..., None] / 255.0
            region = frame[y0:y1, x0:x1]
            region[:] = region * (1 - alpha) + (skin * gain) * alpha
            lash = Image.new("L", (x1 - x0, y1 - y0), 0)
            line = np.vstack([corners[:1], closed[list(up0), :2], corners[1:]]) - (x0, y0)
            width = max(2, round(0.015 * fw))
            ImageDraw.Draw(lash).line([tuple(p) for p in line.tolist()], fill=255, width=width)
            m = np.asarray(lash) > 127
            region[m] = region[m] * 0.35

    @staticmethod
    def _raster(
        frame_shape: tuple[int, ...],
        p: np.ndarray,
        tri: np.ndarray,
        wind: float,
        keep: np.ndarray | None = None,
    ) -> tuple[np.ndarray, ...] | None:
        """Visible pixels of a triangle mesh: front-facing triangles (winding as in the
        frontal pose; only ``keep`` ones if given) painted far to near into an id image.
        Returns the pixels' rows, columns, triangle ids and barycentric weights (b0,
        b1, b2); ``None`` if nothing is visible."""
        e1 = p[tri[:, 1]] - p[tri[:, 0]]
        e2 = p[tri[:, 2]] - p[tri[:, 0]]
        fn = np.cross(e1, e2) * wind
        area2 = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        # Back-facing (winding flipped against the frontal mesh) or degenerate: skip.
        front = (fn[:, 2] < 0) & (np.abs(area2) > 1e-3)
        if keep is not None:
            front &= keep
        idx = np.nonzero(front)[0]
        idx = idx[np.argsort(-p[tri[idx]][:, :, 2].mean(1))]  # far first
        x0 = max(math.floor(p[:, 0].min()) - 1, 0)
        y0 = max(math.floor(p[:, 1].min()) - 1, 0)
        x1 = min(math.ceil(p[:, 0].max()) + 2, frame_shape[1])
        y1 = min(math.ceil(p[:, 1].max()) + 2, frame_shape[0])
        if x1 <= x0 or y1 <= y0 or idx.size == 0:
            return None
        ids = Image.new("I", (x1 - x0, y1 - y0), -1)
        draw = ImageDraw.Draw(ids)
        local = p[:, :2] - (x0, y0)
        for t in idx.tolist():
            a, b, c = tri[t]
            draw.polygon([tuple(local[a]), tuple(local[b]), tuple(local[c])], fill=t)
        tid = np.asarray(ids, dtype=np.int32)
        ys, xs = np.nonzero(tid >= 0)
        if ys.size == 0:
            return None
        t = tid[ys, xs]
        px = xs.astype(np.float64) + x0
        py = ys.astype(np.float64) + y0
        # Barycentric coordinates of each pixel in its triangle.
        a = p[tri[t, 0], :2]
        d1 = e1[t, :2]
        d2 = e2[t, :2]
        det = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
        rx, ry = px - a[:, 0], py - a[:, 1]
        b1 = np.clip((rx * d2[:, 1] - ry * d2[:, 0]) / det, -0.2, 1.2)
        b2 = np.clip((d1[:, 0] * ry - d1[:, 1] * rx) / det, -0.2, 1.2)
        b0 = 1 - b1 - b2
        return ys + y0, xs + x0, t, b0, b1, b2

    @staticmethod
    def _interp(values: np.ndarray, tri: np.ndarray, t, b0, b1, b2) -> np.ndarray:
        """Per-vertex ``values`` interpolated at pixels (barycentric)."""
        return b0 * values[tri[t, 0]] + b1 * values[tri[t, 1]] + b2 * values[tri[t, 2]]

    @staticmethod
    def _vertex_cos(p: np.ndarray, tri: np.ndarray, wind: float) -> np.ndarray:
        """Cosine of each vertex's smooth normal (the mean of its front-facing
        triangles' normals) toward the screen (-z)."""
        fn = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]]) * wind
        front = fn[:, 2] < 0
        vn = np.zeros_like(p)
        for k in range(3):
            np.add.at(vn, tri[front, k], fn[front])
        vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-9)
        return np.clip(-vn[:, 2], 0.0, 1.0)

    @classmethod
    def _uv(cls, uv: np.ndarray, tri: np.ndarray, *hit) -> tuple[np.ndarray, np.ndarray]:
        """Texture coordinates at the pixels (``hit``: t, b0, b1, b2)."""
        return cls._interp(uv[:, 0], tri, *hit), cls._interp(uv[:, 1], tri, *hit)

    def _draw_shell(self, frame: np.ndarray, verts: np.ndarray, col: np.ndarray) -> None:
        """The head shell (hair, ears, neck) over the backdrop, with its soft edge."""
        src = self.src
        hit = self._raster(frame.shape, verts, src.shell_tri, self._shell_wind, src.shell_opaque)
        if hit is None:
            return
        u, v = self._uv(src.shell_uv, src.shell_tri, *hit[2:])
        alpha = _bilinear(src.head_alpha[..., None], u, v)
        seen = alpha[:, 0] > 1e-3  # the wall seen through: skip it
        ys, xs, t, b0, b1, b2 = (a[seen] for a in hit)
        rgb = _bilinear(src.texture, u[seen], v[seen])
        gain = self._gain(verts, src.shell_tri, self._shell_wind, self._shell_cos0, t, b0, b1, b2)
        lit = rgb * self.light.gain(self.light.k_head, col, *gain)
        frame[ys, xs] = frame[ys, xs] * (1 - alpha[seen]) + lit * alpha[seen]

    def _draw_mesh(self, frame: np.ndarray, verts: np.ndarray, col: np.ndarray) -> None:
        """The face mesh, opaque, over the shell (a convex head: the face is in front)."""
        src = self.src
        hit = self._raster(frame.shape, verts, src.tri, self._wind)
        if hit is None:
            return
        ys, xs, t, b0, b1, b2 = hit
        u, v = self._uv(src.lm[:, :2], src.tri, t, b0, b1, b2)
        gain = self._gain(verts, src.tri, self._wind, self._face_cos0, t, b0, b1, b2)
        frame[ys, xs] = _bilinear(src.texture, u, v) * self.light.gain(
            self.light.k_face, col, *gain
        )

    def _gain(
        self, verts: np.ndarray, tri: np.ndarray, wind: float, photo_cos: np.ndarray, t, b0, b1, b2
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel cosines toward the screen: now, and when the photo was taken."""
        cos = self._interp(self._vertex_cos(verts, tri, wind), tri, t, b0, b1, b2)
        return cos, self._interp(photo_cos, tri, t, b0, b1, b2)


def plane_homography(
    yaw: float,
    pitch: float,
    roll: float,
    scale: float,
    dx: float,
    dy: float,
    size: tuple[int, int] = (FRAME_W, FRAME_H),
    distance: float = 700.0,
) -> np.ndarray:
    """3x3 homography taking a flat picture of ``size`` (its pixels) to the frame after
    the picture is rotated in 3D about its centre, scaled and shifted: the motion of a
    held photo or screen (a planar projective warp)."""
    w, h = size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    c3 = np.hstack([corners - (w / 2, h / 2), np.zeros((4, 1))]) * scale
    q = c3 @ rotation(yaw, pitch, roll).T
    f = distance / (distance + q[:, 2])
    dst = np.stack([FRAME_W / 2 + dx + q[:, 0] * f, FRAME_H / 2 + dy + q[:, 1] * f], 1)
    return _homography(corners, dst)


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    rows = []
    for (x, y), (u, v) in zip(src, dst, strict=False):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.asarray(rows))
    hm = vt[-1].reshape(3, 3)
    return hm / hm[2, 2]


def warp_plane(picture: np.ndarray, hm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``picture`` warped by homography ``hm`` into the frame: (rgb float32, alpha 0..1)."""
    inv = np.linalg.inv(hm)
    inv = inv / inv[2, 2]
    coeffs = tuple(float(c) for c in inv.reshape(-1)[:8])
    h, w = picture.shape[:2]
    rgba = np.dstack([picture.clip(0, 255), np.full((h, w), 255.0)]).astype(np.uint8)
    out = Image.fromarray(rgba, "RGBA").transform(
        (FRAME_W, FRAME_H), Image.PERSPECTIVE, coeffs, resample=Image.BILINEAR
    )
    arr = np.asarray(out, dtype=np.float32)
    return arr[..., :3], arr[..., 3] / 255.0


class Camera:
    """Sensor noise and the page's JPEG encoder."""

    def __init__(self, rng: np.random.Generator, noise: float = 2.5, quality: int = 85) -> None:
        self.rng = rng
        self.noise = noise
        self.quality = quality
        # One big noise field, sampled at random offsets: much cheaper than fresh noise.
        self._field = rng.standard_normal((FRAME_H * 2, FRAME_W * 2, 3), dtype=np.float32)

    def capture(self, frame: np.ndarray) -> np.ndarray:
        oy = int(self.rng.integers(0, FRAME_H))
        ox = int(self.rng.integers(0, FRAME_W))
        noisy = frame + self.noise * self._field[oy : oy + FRAME_H, ox : ox + FRAME_W]
        return np.clip(noisy + 0.5, 0, 255).astype(np.uint8)

    def encode(self, rgb: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(buf, format="JPEG", quality=self.quality)
        return buf.getvalue()

    def shoot(self, frame: np.ndarray) -> bytes:
        return self.encode(self.capture(frame))
