"""The triangles of every marching cubes configuration, as PyRadiomics meshes a mask.

Configuration ``c`` (0-255) has corner ``k`` of the cube inside the ROI when bit ``k`` is set,
with the corners (z, y, x) = (0,0,0), (0,0,1), (0,1,1), (0,1,0), (1,0,0), (1,0,1), (1,1,1),
(1,1,0) (the classic Lorensen order, x fastest). Its triangles are the classic table's, with
PyRadiomics' rule for ambiguous faces: a configuration with corner 7 inside takes the
triangles of its complement ``255 - c`` (the orientation is reversed by the caller).

Every vertex sits at the mid-point of a cube edge, so its local (z, y, x) coordinates are
0, 1/2 or 1. One letter encodes one vertex: letter ``k`` of :data:`_ALPHABET` is the vertex
with doubled coordinates (2z, 2y, 2x) = (k // 9, k // 3 % 3, k % 3); three letters make a
triangle. The table is data, so that meshing needs no import of scikit-image at run time;
``tests/features/test_pyradiomics_shape_mesh.py`` rebuilds it from scikit-image's Lorensen
marching cubes, one cube at a time, and checks every entry.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["triangle_table"]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0"

#: configuration -> its triangles' vertices, three letters per triangle
_TRIANGLES = (
    "",
    "DJB",
    "LFB",
    "DJFFJL",
    "RHF",
    "DJBRHF",
    "RHLLHB",
    "DJHJRHJLR",  # 0-7
    "HPD",
    "HPBBPJ",
    "BLFPDH",
    "HPFPLFPJL",
    "FRDDRP",
    "FRBRJBRPJ",
    "BLDLPDLRP",
    "RJLPJR",  # 8-15
    "JVT",
    "BDTTDV",
    "LFBVTJ",
    "LFTFVTFDV",
    "RHFVTJ",
    "VTDTBDRHF",
    "RHLHBLVTJ",
    "LRHVLHDVHTLV",  # 16-23
    "VTJHPD",
    "VTPTHPTBH",
    "FBLVTJPDH",
    "PVTPTLHPLFHL",
    "FRDRPDTJV",
    "RPFPTFTBFTPV",
    "JVTPBLRPLDBP",
    "PVTLPTRPL",  # 24-31
    "TXL",
    "TXLDJB",
    "TXBBXF",
    "TXJXDJXFD",
    "RHFTXL",
    "JBDRHFXLT",
    "RHXHTXHBT",
    "XRHXHDTXDJTD",  # 32-39
    "TXLPDH",
    "HPBPJBXLT",
    "TXBXFBPDH",
    "XFHJXHPJHXJT",
    "PDRDFRTXL",
    "XLTFJBFRJRPJ",
    "BTXPBXRPXDBP",
    "JTXRJXPJR",  # 40-47
    "JVLLVX",
    "BDLDXLDVX",
    "JVBVFBVXF",
    "DXFVXD",
    "JVLVXLHFR",
    "HFRBXLBDXDVX",
    "HBJXHJVXJHXR",
    "XRHDXHVXD",  # 48-55
    "XLVLJVHPD",
    "VXLHVLBHLPVH",
    "PDHJFBJVFVXF",
    "FHPVFPXFV",
    "JXLVXJDFRPDR",
    "BVXLBXBPVRBFBRP",
    "BRPDBPBXRVBJBVX",
    "XRPXPV",  # 56-63
    "XZR",
    "DJBZRX",
    "FBLZRX",
    "DJFJLFZRX",
    "XZFFZH",
    "XZFZHFJBD",
    "XZLZBLZHB",
    "JLXHJXZHXJHD",  # 64-71
    "PDHXZR",
    "JBPBHPXZR",
    "LFBPDHZRX",
    "ZRXHLFHPLPJL",
    "PDZDXZDFX",
    "PJBXPBFXBZPX",
    "ZPDZDBXZBLXB",
    "LXZPLZJLP",  # 72-79
    "ZRXJVT",
    "BDTDVTRXZ",
    "BLFZRXVTJ",
    "XZRVLFDVFTLV",
    "HFZFXZJVT",
    "XHFZHXTBDVTD",
    "VTJXBLXZBZHB",
    "LDVTLVLHDZLXLZH",  # 80-87
    "HPDTJVXZR",
    "ZRXHVTBHTPVH",
    "LFBJVTPDHZRX",
    "FHLHPLPTLTPVZRX",
    "VTJXPDFXDZPX",
    "PFXZPXPBFTPVPTB",
    "LXBXZBZDBDZPVTJ",
    "LXZPLZLVTLPV",  # 88-95
    "LTRRTZ",
    "ZRTRLTDJB",
    "FBRBZRBTZ",
    "FDJZFJTZJRFZ",
    "LTFTHFTZH",
    "JBDLHFLTHTZH",
    "THBZHT",
    "HDJTHJZHT",  # 96-103
    "LTRTZRDHP",
    "HJBPJHRLTZRT",
    "HPDZFBTZBRFZ",
    "FTZRFZFJTPFHFPJ",
    "TZLZDLDFLDZP",
    "FPJBFJFZPTFLFTZ",
    "ZPDBZDTZB",
    "JTZJZP",  # 104-111
    "ZRVRJVRLJ",
    "DVBVRBRLBRVZ",
    "VZRVRFJVFBJF",
    "VZRFVRDVF",
    "ZHFJZFLJFVZJ",
    "LZHFLHLVZDLBLDV",
    "BJVZBVHBZ",
    "HDVHVZ",  # 112-119
    "PDHJZRLJRVZJ",
    "VBHPVHVLBRVZVRL",
    "BJFJVFVRFRVZPDH",
    "FHPVFPFZRFVZ",
    "ZLJVZJZFLDZPZDF",
    "FLBVZP",
    "BJVZBVBPDBZP",
    "ZPV",  # 120-127
    "PZV",
    "JBDZVP",
    "LFBZVP",
    "LFJFDJZVP",
    "HFRVPZ",
    "RHFJBDVPZ",
    "BLHLRHVPZ",
    "VPZDRHDJRJLR",  # 128-135
    "DHVVHZ",
    "JBVBZVBHZ",
    "ZVHVDHLFB",
    "HZFZJFJLFZVJ",
    "ZVRVFRVDF",
    "ZVRRVFVJFJBF",
    "VDBRVBLRBVRZ",
    "RZVJRVLRJ",  # 136-143
    "TJZZJP",
    "PZDZBDZTB",
    "PZJZTJFBL",
    "ZTLDZLFDLZDP",
    "TJZJPZFRH",
    "RHFPBDPZBZTB",
    "JPTPZTLHBLRH",
    "DLRHDRDTLZDPDZT",  # 144-151
    "DHJHTJHZT",
    "HTBHZT",
    "BLFTDHZTHJDT",
    "TLFHTFZTH",
    "DFJFZJZTJFRZ",
    "BFRZBRTBZ",
    "DZTJDTDRZLDBDLR",
    "TLRTRZ",  # 152-159
    "XLTPZV",
    "DJBXLTZVP",
    "FBXBTXPZV",
    "ZVPTDJTXDXFD",
    "TXLHFRPZV",
    "VPZRHFDJBXLT",
    "PZVRTXRHTHBT",
    "JTDTXDXHDHXRZVP",  # 160-167
    "DHVHZVLTX",
    "TXLZJBHZBVJZ",
    "HZDZVDBXFBTX",
    "JHZVJZJFHXJTJXF",
    "TXLZFRZVFVDF",
    "RZFZVFVBFBVJTXL",
    "RBTXRTRDBVRZRVD",
    "RZVJRVRTXRJT",  # 168-175
    "XLZLPZLJP",
    "PZDDZBZXBXLB",
    "JPBPXBXFBPZX",
    "DPZXDZFDX",
    "RHFPXLJPLZXP",
    "DPBPZBZLBLZXRHF",
    "XJPZXPXBJHXRXHB",
    "DPZXDZDRHDXR",  # 176-183
    "LJXJHXHZXHJD",
    "ZXLBZLHZB",
    "JXFBJFJZXHJDJHZ",
    "ZXFZFH",
    "ZDFRZFZJDLZXZLJ",
    "BFRZBRBXLBZX",
    "JDBRZX",
    "ZXR",  # 184-191
    "RXPPXV",
    "RXPXVPBDJ",
    "VPXPRXBLF",
    "XVRVPRFJLFDJ",
    "HFPFVPFXV",
    "DJBVHFXVFPHV",
    "XVLVHLHBLVPH",
    "HXVPHVHLXJHDHJL",  # 192-199
    "RXHXDHXVD",
    "BHJHXJXVJXHR",
    "FBLDRXVDXHRD",
    "HJLFHLHVJXHRHXV",
    "XDFXVD",
    "VJBFVBXVF",
    "DBLXDLVDX",
    "VJLVLX",  # 200-207
    "TJXJRXJPR",
    "TBXBPXPRXBDP",
    "LFBRTJPRJXTR",
    "TPRXTRTDPFTLTFD",
    "FXHXJHJPHJXT",
    "PTBDPBPXTFPHPFX",
    "XHBLXBXPHJXTXJP",
    "XTLDPH",  # 208-215
    "RXHHXDXTDTJD",
    "HRXTHXBHT",
    "HRDRXDXJDJXTLFB",
    "HRXTHXHLFHTL",
    "XTJDXJFXD",
    "XTBXBF",
    "XTJDXJXBLXDB",
    "XTL",  # 216-223
    "VPTPLTPRL",
    "DJBVLTVPLPRL",
    "PRFTPFBTFPTV",
    "TFDJTDTRFPTVTPR",
    "VPTTPLPHLHFL",
    "TVLVPLPFLFPHDJB",
    "TVPHTPBTH",
    "TVPHTPTDJTHD",  # 224-231
    "RLHLVHVDHLTV",
    "VRLTVLVHRBVJVBH",
    "RVDHRDRTVBRFRBT",
    "HRFTVJ",
    "FLTVFTDFV",
    "FLTVFTFJBFVJ",
    "DBTDTV",
    "VJT",  # 232-239
    "JRLJPR",
    "LBDPLDRLP",
    "RFBJRBPRJ",
    "RFDRDP",
    "PHFLPFJPL",
    "LBDPLDLHFLPH",
    "PHBPBJ",
    "PHD",  # 240-247
    "JDHRJHLJR",
    "HRLHLB",
    "JDHRJHJFBJRF",
    "HRF",
    "JDFJFL",
    "FLB",
    "JDB",
    "",  # 248-255
)


@functools.lru_cache(maxsize=1)
def triangle_table() -> tuple[np.ndarray, ...]:
    """Triangles of each configuration, ``table[c]`` of shape (T, 3 vertices, 3) in local
    (z, y, x) cube coordinates (float64)."""
    code = np.full(128, -1, dtype=np.int64)  # letter -> its index in the alphabet
    code[np.frombuffer(_ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(_ALPHABET))
    k = code[np.frombuffer("".join(_TRIANGLES).encode("ascii"), dtype=np.uint8)]
    points = np.stack([k // 9, k // 3 % 3, k % 3], axis=1) / 2.0  # every vertex, in order
    ends = np.cumsum([len(t) for t in _TRIANGLES])
    return tuple(p.reshape(-1, 3, 3) for p in np.split(points, ends[:-1]))
