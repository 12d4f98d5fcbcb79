"""Ants/bees-style transfer learning with the classic phase loop, DataParallel and early stopping."""
import argparse
import copy
import os

import torch
import torch.nn as nn
from torchvision import datasets, transforms
from torchvision.models import ResNet34_Weights, resnet34


def train_model(model, loaders, criterion, optimizer, scheduler, device, num_epochs, patience):
    best_wts, best_acc, stale = copy.deepcopy(model.state_dict()), 0.0, 0
    for epoch in range(num_epochs):
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()
            else:
                model.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, labels in loaders[phase]:
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += (outputs.argmax(1) == labels).sum().item()
            if phase == "train":
                scheduler.step()
            epoch_acc = running_corrects / len(loaders[phase].dataset)
            print(f"{epoch} {phase} loss {running_loss / len(loaders[phase].dataset):.4f} acc {epoch_acc:.4f}")
            if phase == "val":
                if epoch_acc > best_acc:
                    best_acc, best_wts, stale = epoch_acc, copy.deepcopy(model.state_dict()), 0
                else:
                    stale += 1
        if stale >= patience:
            break
    model.load_state_dict(best_wts)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/hymenoptera")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--patience", type=int, default=5)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    weights = ResNet34_Weights.IMAGENET1K_V1
    tfms = {"train": transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                         transforms.ToTensor(), transforms.Normalize(weights.transforms().mean,
                                                                                     weights.transforms().std)]),
            "val": weights.transforms(), "test": weights.transforms()}
    loaders = {k: torch.utils.data.DataLoader(datasets.ImageFolder(os.path.join(args.data, k), tfms[k]),
                                              batch_size=32, shuffle=(k == "train"), num_workers=4)
               for k in ("train", "val", "test")}

    model = resnet34(weights=weights)
    model.fc = nn.Linear(model.fc.in_features, len(loaders["train"].dataset.classes))
    model = nn.DataParallel(model).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)
    model = train_model(model, loaders, criterion, optimizer, scheduler, device, args.epochs, args.patience)

    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in loaders["test"]:
            correct += (model(inputs.to(device)).argmax(1).cpu() == labels).sum().item()
    print(f"test acc {correct / len(loaders['test'].dataset):.4f}")
    torch.save(model.module.state_dict(), "resnet34_transfer.pt")


if __name__ == "__main__":
    main()
