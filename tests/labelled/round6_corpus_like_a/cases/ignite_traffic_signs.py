"""Traffic-sign classification (43 GTSRB classes) with PyTorch-Ignite's supervised trainer/evaluator."""
import argparse

import torch
import torch.nn as nn
from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import EarlyStopping, ModelCheckpoint
from ignite.metrics import Accuracy, Loss
from torch.utils.data import DataLoader


def build_net(n_classes=43):
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(128, n_classes),
    )


@torch.no_grad()
def predict_labels(model, images, device):
    model.eval()
    return model(images.to(device)).argmax(1).cpu()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(torch.load("gtsrb_train.pt"), batch_size=128, shuffle=True, num_workers=4)
    val_loader = DataLoader(torch.load("gtsrb_val.pt"), batch_size=256, num_workers=4)

    model = build_net().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    trainer = create_supervised_trainer(model, optimizer, criterion, device=device)
    evaluator = create_supervised_evaluator(model, metrics={"acc": Accuracy(), "loss": Loss(criterion)},
                                            device=device)

    @trainer.on(Events.EPOCH_COMPLETED)
    def run_validation(engine):
        evaluator.run(val_loader)
        m = evaluator.state.metrics
        print(f"epoch {engine.state.epoch}: val acc {m['acc']:.4f} loss {m['loss']:.4f}")

    evaluator.add_event_handler(Events.COMPLETED, EarlyStopping(patience=5, score_function=lambda e: e.state.metrics["acc"],
                                                                trainer=trainer))
    evaluator.add_event_handler(Events.COMPLETED, ModelCheckpoint("ckpt", "gtsrb", n_saved=1, require_empty=False,
                                                                  score_function=lambda e: e.state.metrics["acc"]),
                                {"model": model})
    trainer.run(train_loader, max_epochs=args.epochs)

    sample, _ = next(iter(val_loader))
    print("predicted classes of the first val batch:", predict_labels(model, sample[:16], device).tolist())


if __name__ == "__main__":
    main()
