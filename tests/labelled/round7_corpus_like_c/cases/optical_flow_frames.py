"""Estimate optical flow between consecutive video frames with a small FlowNet-style network."""
import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torch import inference_mode
from torchvision.transforms.functional import to_tensor


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.1))


class TinyFlowNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(conv_bn(6, 32, 2), conv_bn(32, 64, 2), conv_bn(64, 128, 2))
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.ConvTranspose2d(32, 2, 4, 2, 1),
        )

    def forward(self, pair):  # (B, 6, H, W): two RGB frames stacked
        return self.dec(self.enc(pair))


def flow_sequence(net, frames, device):
    flows = []
    with inference_mode:
        for a, b in zip(frames[:-1], frames[1:]):
            pair = torch.cat([a, b], 0).unsqueeze(0).to(device)
            flows.append(net(pair)[0].cpu().numpy())
    return flows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("frames", type=Path)
    ap.add_argument("--weights", default="tiny_flownet.pt")
    ap.add_argument("--out", type=Path, default=Path("flow.npy"))
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    net = TinyFlowNet()
    net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    net.to(device)
    net.eval()
    frames = [to_tensor(Image.open(p).convert("RGB").resize((512, 384))) for p in sorted(args.frames.glob("*.jpg"))]
    flows = flow_sequence(net, frames, device)
    np.save(args.out, np.stack(flows))
    print(f"saved {len(flows)} flow fields to {args.out}")


if __name__ == "__main__":
    main()
