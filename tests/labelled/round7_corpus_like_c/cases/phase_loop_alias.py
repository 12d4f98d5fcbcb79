"""Transfer learning on a flowers dataset: one loop over the 'train' and 'val' phases, then predictions."""
import copy
import csv

import torch
import torch.nn as nn
from torchvision import datasets
from torchvision.models import MobileNet_V2_Weights, mobilenet_v2


def train_model(model, loaders, criterion, optimizer, epochs, device):
    m = model
    best_acc, best_state = 0.0, copy.deepcopy(m.state_dict())
    for epoch in range(epochs):
        for phase in ("train", "val"):
            is_train = phase == "train"
            m.train(mode=is_train)
            correct = 0
            for x, y in loaders[phase]:
                x, y = x.to(device), y.to(device)
                with torch.set_grad_enabled(is_train):
                    out = m(x)
                    loss = criterion(out, y)
                    if is_train:
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
                correct += (out.argmax(1) == y).sum().item()
            acc = correct / len(loaders[phase].dataset)
            print(f"epoch {epoch} {phase}: loss {loss.item():.4f} acc {acc:.4f}")
            if not is_train and acc > best_acc:
                best_acc, best_state = acc, copy.deepcopy(m.state_dict())
    model.load_state_dict(best_state)
    return model


@torch.inference_mode()
def predict_folder(model, loader, device):
    model.eval()
    return [p for x, _ in loader for p in model(x.to(device)).argmax(1).tolist()]


def main(root="data/flowers", epochs=15):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tf = MobileNet_V2_Weights.IMAGENET1K_V2.transforms()
    sets = {k: datasets.ImageFolder(f"{root}/{k}", tf) for k in ("train", "val", "test")}
    loaders = {k: torch.utils.data.DataLoader(v, batch_size=64, shuffle=(k == "train"), num_workers=4)
               for k, v in sets.items()}
    model = mobilenet_v2(weights=MobileNet_V2_Weights.IMAGENET1K_V2)
    model.classifier[1] = nn.Linear(model.last_channel, len(sets["train"].classes))
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
    model = train_model(model, loaders, nn.CrossEntropyLoss(), optimizer, epochs, device)
    preds = predict_folder(model, loaders["test"], device)
    with open("flowers_test_pred.csv", "w", newline="") as f:
        csv.writer(f).writerows((path, sets["train"].classes[p]) for (path, _), p in zip(sets["test"].samples, preds))


if __name__ == "__main__":
    main()
