"""Evaluate a trained LR-ASPP MobileNetV3 checkpoint on the Cityscapes val split (mIoU + latency)."""
import argparse
import time

import torch
from torch.utils.data import DataLoader
from torchvision.models.segmentation import lraspp_mobilenet_v3_large

N_CLASSES = 19
IGNORE = 255


def load_model(ckpt, device):
    model = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=N_CLASSES)
    state = torch.load(ckpt, map_location="cpu")
    model.load_state_dict(state.get("model", state))
    return model.to(device).eval()


def fast_hist(pred, target, n=N_CLASSES):
    k = target != IGNORE
    return torch.bincount(n * target[k] + pred[k], minlength=n * n).reshape(n, n)


def run_eval(model, loader, device):
    model.eval()
    hist = torch.zeros(N_CLASSES, N_CLASSES, dtype=torch.long, device=device)
    with torch.no_grad, torch.autocast(device_type="cuda", dtype=torch.float16):
        for images, masks in loader:
            out = model(images.to(device, non_blocking=True))["out"]
            hist += fast_hist(out.argmax(1).flatten(), masks.to(device).flatten())
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou.cpu()


def measure_latency(model, device, size=(1, 3, 1024, 2048), warmup=10, iters=50):
    x = torch.randn(size, device=device)
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(iters):
            model(x)
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--val", default="cityscapes_val.pt")
    args = ap.parse_args()
    device = torch.device("cuda")
    model = load_model(args.ckpt, device)
    loader = DataLoader(torch.load(args.val), batch_size=4, num_workers=8, pin_memory=True)
    iou = run_eval(model, loader, device)
    print("per-class IoU:", [round(v, 3) for v in iou.tolist()])
    print(f"mIoU {iou.mean().item():.4f}  latency {measure_latency(model, device):.1f} ms/img")


if __name__ == "__main__":
    main()
