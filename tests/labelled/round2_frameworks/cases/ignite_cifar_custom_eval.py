"""CIFAR-10 ResNet-18 with pytorch-ignite: the stock supervised trainer plus a custom
evaluator step that also records per-sample confidences for a calibration plot."""
import argparse

import torch
import torch.nn as nn
import torchvision
from ignite.contrib.handlers import ProgressBar
from ignite.engine import Engine, Events, create_supervised_trainer
from ignite.handlers import ModelCheckpoint
from ignite.metrics import Accuracy, Loss
from ignite.utils import convert_tensor
from torch.utils.data import DataLoader
from torchvision import transforms


def get_loaders(root, batch_size):
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    train = torchvision.datasets.CIFAR10(root, train=True, download=True, transform=train_tf)
    test = torchvision.datasets.CIFAR10(root, train=False, download=True, transform=test_tf)
    return (DataLoader(train, batch_size=batch_size, shuffle=True, num_workers=4),
            DataLoader(test, batch_size=512, num_workers=4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader, val_loader = get_loaders(args.root, 128)
    model = torchvision.models.resnet18(num_classes=10).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))
    criterion = nn.CrossEntropyLoss()

    trainer = create_supervised_trainer(model, optimizer, criterion, device=device)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda _: scheduler.step())
    ProgressBar().attach(trainer, output_transform=lambda loss: {"loss": loss})

    confidences = []

    def eval_step(engine, batch):
        x, y = (convert_tensor(t, device=device, non_blocking=True) for t in batch)
        with torch.no_grad():
            y_pred = model(x)
        confidences.append(y_pred.softmax(-1).max(-1).values.cpu())
        return y_pred, y

    evaluator = Engine(eval_step)
    Accuracy().attach(evaluator, "accuracy")
    Loss(criterion).attach(evaluator, "loss")

    @trainer.on(Events.EPOCH_COMPLETED)
    def run_validation(engine):
        confidences.clear()
        evaluator.run(val_loader)
        m = evaluator.state.metrics
        conf = torch.cat(confidences).mean().item()
        print(f"epoch {engine.state.epoch}: acc {m['accuracy']:.4f} loss {m['loss']:.4f} mean conf {conf:.3f}")

    checkpoint = ModelCheckpoint("checkpoints", "cifar_resnet18", n_saved=2, require_empty=False,
                                 score_function=lambda e: e.state.metrics["accuracy"], score_name="acc")
    evaluator.add_event_handler(Events.COMPLETED, checkpoint, {"model": model})
    trainer.run(train_loader, max_epochs=args.epochs)


if __name__ == "__main__":
    main()
