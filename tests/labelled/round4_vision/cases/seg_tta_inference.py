"""Batch inference for a road-scene segmentation model with multi-scale + flip test-time augmentation.

Writes one palette PNG per input image.
"""
import argparse
import glob
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large
from torchvision.transforms.functional import normalize, to_tensor

PALETTE = np.random.RandomState(0).randint(0, 255, (256, 3)).astype(np.uint8)


def build_model(ckpt, num_classes, device):
    model = deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False)
    state = torch.load(ckpt, map_location="cpu")
    model.load_state_dict(state["model"] if "model" in state else state)
    return model.to(device).eval()


@torch.inference_mode()
def predict_tta(model, image, scales=(0.75, 1.0, 1.25), flip=True, amp=True):
    _, _, h, w = image.shape
    probs = torch.zeros(1, model.classifier[-1].out_channels, h, w, device=image.device)
    for s in scales:
        x = image if s == 1.0 else F.interpolate(image, scale_factor=s, mode="bilinear", align_corners=False)
        with torch.autocast(device_type=image.device.type, dtype=torch.float16, enabled=amp):
            logits = model(x)["out"]
            if flip:
                logits = logits + model(x.flip(-1))["out"].flip(-1)
        probs += F.interpolate(logits.float(), size=(h, w), mode="bilinear", align_corners=False).softmax(1)
    return probs.argmax(1)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="deeplab_mbv3_roads.pt")
    ap.add_argument("--images", default="data/roads/test/*.jpg")
    ap.add_argument("--out", default="pred_masks")
    ap.add_argument("--num-classes", type=int, default=19)
    ap.add_argument("--no-flip", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = build_model(args.ckpt, args.num_classes, device)
    for path in sorted(glob.glob(args.images)):
        img = Image.open(path).convert("RGB")
        x = normalize(to_tensor(img), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]).unsqueeze(0).to(device)
        mask = predict_tta(model, x, flip=not args.no_flip, amp=device.type == "cuda")
        out = Image.fromarray(mask.byte().cpu().numpy(), mode="P")
        out.putpalette(PALETTE.flatten().tolist())
        out.save(os.path.join(args.out, os.path.splitext(os.path.basename(path))[0] + ".png"))
    print(f"wrote masks to {args.out}")


if __name__ == "__main__":
    main()
