"""Fine-tune an ImageNet ResNet-50 on a flowers dataset with gradual (layer-wise) unfreezing.

Epochs 0-2 train only the new head; layer4 is unfrozen at epoch 3 and layer3 at epoch 6,
each with its own, lower learning rate. The stem, layer1 and layer2 stay frozen throughout.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms
from torchvision.models import ResNet50_Weights, resnet50

UNFREEZE_AT = {3: ("layer4", 1e-4), 6: ("layer3", 3e-5)}


def build_loaders(root, batch_size):
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])
    train_ds = datasets.ImageFolder(f"{root}/train", train_tf)
    val_ds = datasets.ImageFolder(f"{root}/val", val_tf)
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=batch_size, shuffle=True,
                                               num_workers=8, drop_last=True)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=2 * batch_size, num_workers=8)
    return train_loader, val_loader, len(train_ds.classes)


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    correct = total = 0
    for images, labels in loader:
        logits = model(images.to(device, non_blocking=True))
        correct += (logits.argmax(1).cpu() == labels).sum().item()
        total += labels.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/flowers102")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, val_loader, n_classes = build_loaders(args.data, args.batch_size)

    model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith("fc.")
    model.to(device)
    optimizer = torch.optim.AdamW(model.fc.parameters(), lr=1e-3, weight_decay=1e-4)

    best = 0.0
    for epoch in range(args.epochs):
        if epoch in UNFREEZE_AT:
            block_name, lr = UNFREEZE_AT[epoch]
            block = getattr(model, block_name)
            block.requires_grad_(True)
            optimizer.add_param_group({"params": list(block.parameters()), "lr": lr})
            print(f"epoch {epoch}: unfreezing {block_name} at lr {lr}")

        model.train()
        running = 0.0
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item()

        acc = validate(model, val_loader, device)
        print(f"epoch {epoch}: train loss {running / len(train_loader):.4f} val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "flowers_resnet50_best.pt")


if __name__ == "__main__":
    main()
