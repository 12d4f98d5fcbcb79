"""Fine-tune an ImageNet ResNet-34 on an ImageFolder dataset (train/ and val/ splits).

One loop body serves both phases: the module mode and the autograd switch both follow
the phase flag.
"""
import copy
import os
import time

import torch
import torch.nn as nn
from torchvision import datasets, models, transforms

DATA = os.environ.get("DATA_DIR", "data/flowers")
EPOCHS = 15

tfms = {
    "train": transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                 transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
    "val": transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                               transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
}


def fit(model, loaders, criterion, optimizer, scheduler, device, epochs):
    best_wts, best_acc = copy.deepcopy(model.state_dict()), 0.0
    for epoch in range(epochs):
        t0 = time.time()
        for phase in ("train", "val"):
            is_train = phase == "train"
            model.train(is_train)
            running_loss, running_correct, seen = 0.0, 0, 0
            for inputs, labels in loaders[phase]:
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad(set_to_none=True)
                with torch.set_grad_enabled(is_train):
                    outputs = model(inputs)
                    loss = criterion(outputs, labels)
                    if is_train:
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_correct += (outputs.argmax(1) == labels).sum().item()
                seen += inputs.size(0)
            if is_train:
                scheduler.step()
            epoch_acc = running_correct / seen
            print(f"epoch {epoch} {phase}: loss {running_loss / seen:.4f} acc {epoch_acc:.4f}")
            if not is_train and epoch_acc > best_acc:
                best_acc, best_wts = epoch_acc, copy.deepcopy(model.state_dict())
        print(f"  {time.time() - t0:.0f}s")
    model.load_state_dict(best_wts)
    return model, best_acc


def main():
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    image_sets = {p: datasets.ImageFolder(os.path.join(DATA, p), tfms[p]) for p in ("train", "val")}
    loaders = {p: torch.utils.data.DataLoader(image_sets[p], batch_size=32, shuffle=(p == "train"), num_workers=4)
               for p in ("train", "val")}
    model = models.resnet34(weights=models.ResNet34_Weights.IMAGENET1K_V1)
    model.fc = nn.Linear(model.fc.in_features, len(image_sets["train"].classes))
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)
    model, best_acc = fit(model, loaders, nn.CrossEntropyLoss(), optimizer, scheduler, device, EPOCHS)
    print(f"best val acc {best_acc:.4f}")

    model.eval()
    confusion = torch.zeros(len(image_sets["val"].classes), len(image_sets["val"].classes), dtype=torch.long)
    with torch.no_grad():
        for inputs, labels in loaders["val"]:
            preds = model(inputs.to(device)).argmax(1).cpu()
            for t, p in zip(labels, preds):
                confusion[t, p] += 1
    print(confusion)
    torch.save(model.state_dict(), "resnet34_flowers.pt")


if __name__ == "__main__":
    main()
