"""Upscale every frame of an extracted video with a pickled ESPCN model.

Written for PyTorch 0.3 (Variable API) and still run by the video team as-is:
    python legacy_espcn_upscale_frames.py --model espcn_x3.pth --frames in/ --out out/ --cuda
"""
from __future__ import print_function

import argparse
import glob
import os

import numpy as np
import torch
from PIL import Image
from torch.autograd import Variable
from torchvision.transforms import ToTensor

parser = argparse.ArgumentParser(description="ESPCN frame upscaler")
parser.add_argument("--model", type=str, required=True, help="pickled model (torch.save(model))")
parser.add_argument("--frames", type=str, required=True, help="folder of PNG frames")
parser.add_argument("--out", type=str, default="upscaled")
parser.add_argument("--cuda", action="store_true")
opt = parser.parse_args()

to_tensor = ToTensor()


def upscale_frame(model, path, use_cuda):
    img = Image.open(path).convert("YCbCr")
    y, cb, cr = img.split()
    inp = Variable(to_tensor(y), volatile=True).view(1, -1, y.size[1], y.size[0])
    if use_cuda:
        inp = inp.cuda()
    out = model(inp)
    out_y = out.cpu().data[0].numpy()
    out_y = np.uint8((out_y * 255.0).clip(0, 255)[0])
    out_y = Image.fromarray(out_y, mode="L")
    out_cb = cb.resize(out_y.size, Image.BICUBIC)
    out_cr = cr.resize(out_y.size, Image.BICUBIC)
    return Image.merge("YCbCr", [out_y, out_cb, out_cr]).convert("RGB")


def main():
    model = torch.load(opt.model)
    if opt.cuda:
        model = model.cuda()
    if not os.path.isdir(opt.out):
        os.makedirs(opt.out)
    frames = sorted(glob.glob(os.path.join(opt.frames, "*.png")))
    for i, path in enumerate(frames):
        result = upscale_frame(model, path, opt.cuda)
        result.save(os.path.join(opt.out, os.path.basename(path)))
        if i % 100 == 0:
            print("[%d/%d] %s" % (i, len(frames), path))
    print("done: %d frames" % len(frames))


if __name__ == "__main__":
    main()
