"""Train EfficientNet-B0 on a plant-disease dataset, then report test accuracy with
multi-scale + horizontal-flip test-time augmentation."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms
from torchvision.models import EfficientNet_B0_Weights, efficientnet_b0

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def evaluate_tta(model, loader, device, scales=(0.875, 1.0, 1.125)):
    """Average softmax over 3 scales x {identity, h-flip}."""
    correct = 0
    with torch.inference_mode():
        for x, y in loader:
            x = x.to(device, non_blocking=True)
            probs = 0
            for s in scales:
                xs = x if s == 1.0 else F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
                probs = probs + model(xs).softmax(1) + model(xs.flip(3)).softmax(1)
            correct += (probs.argmax(1).cpu() == y).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/plant_village")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=3e-4)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_tf = transforms.Compose([transforms.RandomResizedCrop(224, scale=(0.5, 1.0)), transforms.RandomHorizontalFlip(),
                                   transforms.ColorJitter(0.2, 0.2, 0.2), transforms.ToTensor(),
                                   transforms.Normalize(MEAN, STD)])
    test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                  transforms.Normalize(MEAN, STD)])
    train_ds = datasets.ImageFolder(f"{args.root}/train", train_tf)
    test_ds = datasets.ImageFolder(f"{args.root}/test", test_tf)
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=8, drop_last=True)
    test_loader = torch.utils.data.DataLoader(test_ds, batch_size=64, num_workers=8)

    model = efficientnet_b0(weights=EfficientNet_B0_Weights.IMAGENET1K_V1)
    model.classifier[1] = nn.Linear(model.classifier[1].in_features, len(train_ds.classes))
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * len(train_loader))

    for epoch in range(args.epochs):
        model.train()
        seen, running = 0, 0.0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item() * x.size(0)
            seen += x.size(0)
        print(f"epoch {epoch}: train loss {running / seen:.4f}")

    torch.save(model.state_dict(), "effnet_b0_plants.pt")
    acc = evaluate_tta(model, test_loader, device)
    print(f"test accuracy with TTA: {acc:.4f}")


if __name__ == "__main__":
    main()
