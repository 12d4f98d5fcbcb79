"""Cityscapes-style semantic segmentation (19 classes) with mixed precision.

Training uses random 512x1024 crops; validation runs a sliding window over the
full-resolution 1024x2048 images, one image at a time.
"""
import argparse
import math

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models import ResNet101_Weights
from torchvision.models.segmentation import deeplabv3_resnet101

NUM_CLASSES = 19
IGNORE = 255


def slide_inference(model, image, crop=512, stride=341, num_classes=NUM_CLASSES):
    _, _, h, w = image.shape
    logits = image.new_zeros((1, num_classes, h, w), dtype=torch.float32)
    count = image.new_zeros((1, 1, h, w), dtype=torch.float32)
    rows = max(math.ceil((h - crop) / stride), 0) + 1
    cols = max(math.ceil((w - crop) / stride), 0) + 1
    for r in range(rows):
        for c in range(cols):
            y0 = min(r * stride, max(h - crop, 0))
            x0 = min(c * stride, max(w - crop, 0))
            patch = image[:, :, y0:y0 + crop, x0:x0 + crop]
            out = model(patch)["out"]
            logits[:, :, y0:y0 + crop, x0:x0 + crop] += out.float()
            count[:, :, y0:y0 + crop, x0:x0 + crop] += 1
    return logits / count


def validate(model, loader, device):
    model.eval()
    hist = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long, device=device)
    for image, mask in loader:
        image, mask = image.to(device), mask.to(device)
        # fp16 keeps the full-resolution window pass within memory
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            logits = slide_inference(model, image)
        pred = logits.argmax(1)
        keep = mask != IGNORE
        hist += torch.bincount(NUM_CLASSES * mask[keep] + pred[keep],
                               minlength=NUM_CLASSES ** 2).view(NUM_CLASSES, NUM_CLASSES)
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou.mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-data", default="data/cityscapes_train.pt")
    ap.add_argument("--val-data", default="data/cityscapes_val.pt")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--val-every", type=int, default=10)
    args = ap.parse_args()
    device = torch.device("cuda")

    model = deeplabv3_resnet101(weights_backbone=ResNet101_Weights.IMAGENET1K_V2,
                                num_classes=NUM_CLASSES, aux_loss=True).to(device)
    train_loader = DataLoader(torch.load(args.train_data), batch_size=8, shuffle=True,
                              num_workers=8, drop_last=True, pin_memory=True)
    val_loader = DataLoader(torch.load(args.val_data), batch_size=1, num_workers=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    total = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: (1 - it / total) ** 0.9)
    scaler = torch.amp.GradScaler("cuda")

    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for images, masks in train_loader:
            images = images.to(device, non_blocking=True)
            masks = masks.to(device, non_blocking=True)
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                out = model(images)
                loss = F.cross_entropy(out["out"], masks, ignore_index=IGNORE)
                loss = loss + 0.4 * F.cross_entropy(out["aux"], masks, ignore_index=IGNORE)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
        if (epoch + 1) % args.val_every == 0:
            miou = validate(model, val_loader, device)
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} mIoU {miou:.4f}")
            if miou > best:
                best = miou
                torch.save(model.state_dict(), "deeplabv3_r101_best.pt")


if __name__ == "__main__":
    main()
