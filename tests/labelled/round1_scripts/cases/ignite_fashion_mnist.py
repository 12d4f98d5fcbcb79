"""Fashion-MNIST CNN trained with pytorch-ignite engines, plus a flip-TTA evaluator built on a custom Engine."""
import argparse

import torch
import torch.nn as nn
from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import EarlyStopping, ModelCheckpoint
from ignite.metrics import Accuracy, Loss
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class SmallCNN(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.4), nn.Linear(64 * 7 * 7, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
    train_loader = DataLoader(datasets.FashionMNIST("data", train=True, download=True, transform=tf),
                              batch_size=128, shuffle=True)
    val_loader = DataLoader(datasets.FashionMNIST("data", train=False, download=True, transform=tf), batch_size=512)

    model = SmallCNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    trainer = create_supervised_trainer(model, optimizer, criterion, device=device)
    metrics = {"acc": Accuracy(), "nll": Loss(criterion)}
    evaluator = create_supervised_evaluator(model, metrics=metrics, device=device)

    def tta_step(engine, batch):
        model.eval()
        with torch.no_grad():
            x, y = batch[0].to(device), batch[1].to(device)
            logits = (model(x) + model(torch.flip(x, dims=[3]))) / 2
        return logits, y

    tta_evaluator = Engine(tta_step)
    Accuracy().attach(tta_evaluator, "acc")

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_validation(engine):
        evaluator.run(val_loader)
        m = evaluator.state.metrics
        print(f"epoch {engine.state.epoch}: val acc {m['acc']:.4f} nll {m['nll']:.4f}")

    score_fn = lambda engine: engine.state.metrics["acc"]  # noqa: E731
    evaluator.add_event_handler(Events.COMPLETED, EarlyStopping(patience=4, score_function=score_fn, trainer=trainer))
    evaluator.add_event_handler(Events.COMPLETED, ModelCheckpoint("ckpt", "fmnist", n_saved=1, require_empty=False,
                                                                  score_function=score_fn), {"model": model})

    trainer.run(train_loader, max_epochs=args.epochs)
    tta_evaluator.run(val_loader)
    print(f"final flip-TTA acc {tta_evaluator.state.metrics['acc']:.4f}")


if __name__ == "__main__":
    main()
