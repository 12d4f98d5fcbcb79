"""Greedy model soup (Wortsman et al. 2022) over ResNet-50 fine-tuning runs with different hyper-parameters.

Ingredients are sorted by held-out accuracy and added to the soup only if the averaged weights
do not hurt held-out accuracy.
"""
import argparse
import glob

import torch
from torchvision import datasets
from torchvision.models import ResNet50_Weights, resnet50


def load_ingredient(path, num_classes, device):
    model = resnet50(num_classes=num_classes)
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.to(device).eval()


@torch.no_grad()
def evaluate(model, loader, device):
    correct = total = 0
    for images, labels in loader:
        correct += (model(images.to(device)).argmax(1).cpu() == labels).sum().item()
        total += labels.numel()
    return correct / total


def average_state_dicts(paths):
    avg = None
    for p in paths:
        sd = torch.load(p, map_location="cpu")
        if avg is None:
            avg = {k: v.clone().double() if v.is_floating_point() else v.clone() for k, v in sd.items()}
        else:
            for k, v in sd.items():
                if v.is_floating_point():
                    avg[k] += v.double()
    return {k: (v / len(paths)).float() if v.is_floating_point() else v for k, v in avg.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="runs/*/final.pt")
    ap.add_argument("--heldout", default="data/imagenet_heldout")
    ap.add_argument("--num-classes", type=int, default=1000)
    args = ap.parse_args()
    device = torch.device("cuda")
    tf = ResNet50_Weights.IMAGENET1K_V2.transforms()
    loader = torch.utils.data.DataLoader(datasets.ImageFolder(args.heldout, tf), batch_size=256, num_workers=8)

    scored = []
    for path in sorted(glob.glob(args.runs)):
        acc = evaluate(load_ingredient(path, args.num_classes, device), loader, device)
        print(f"{path}: {acc:.4f}")
        scored.append((acc, path))
    scored.sort(reverse=True)

    best_acc, soup = scored[0][0], [scored[0][1]]
    for acc, path in scored[1:]:
        candidate = resnet50(num_classes=args.num_classes)
        candidate.load_state_dict(average_state_dicts(soup + [path]))
        candidate.to(device)
        cand_acc = evaluate(candidate, loader, device)
        if cand_acc >= best_acc:
            best_acc, soup = cand_acc, soup + [path]
            print(f"+ {path}: soup acc {cand_acc:.4f} ({len(soup)} ingredients)")
        else:
            print(f"- {path}: soup acc {cand_acc:.4f} < {best_acc:.4f}, skipped")

    torch.save(average_state_dicts(soup), "greedy_soup.pt")
    print(f"final greedy soup: {len(soup)} ingredients, held-out acc {best_acc:.4f}")


if __name__ == "__main__":
    main()
