"""Old in-house Trainer/Evaluator pair (written for PyTorch 0.3, still in the nightly job)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable


class LeNetBN(nn.Module):
    def __init__(self, n_classes=10):
        super(LeNetBN, self).__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.bn1 = nn.BatchNorm2d(20)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.bn2 = nn.BatchNorm2d(50)
        self.drop = nn.Dropout(0.5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = self.drop(F.relu(self.fc1(x.view(x.size(0), -1))))
        return self.fc2(x)


class Trainer(object):
    def __init__(self, model, loader, optimizer, use_cuda=False):
        self.model = model
        self.loader = loader
        self.optimizer = optimizer
        self.use_cuda = use_cuda

    def train(self, epoch):
        self.model.train()
        for i, (inputs, targets) in enumerate(self.loader):
            if self.use_cuda:
                inputs, targets = inputs.cuda(), targets.cuda()
            inputs, targets = Variable(inputs), Variable(targets)
            loss = F.cross_entropy(self.model(inputs), targets)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            if i % 100 == 0:
                print("epoch %d iter %d loss %.4f" % (epoch, i, loss.item()))


class Evaluator(object):
    def __init__(self, model, loader, use_cuda=False):
        self.model = model
        self.loader = loader
        self.use_cuda = use_cuda

    def evaluate(self):
        self.model.eval()
        correct, total_loss = 0, 0.0
        for inputs, targets in self.loader:
            if self.use_cuda:
                inputs, targets = inputs.cuda(), targets.cuda()
            inputs = Variable(inputs, volatile=True)
            outputs = self.model(inputs)
            total_loss += F.cross_entropy(outputs, Variable(targets), reduction="sum").item()
            correct += outputs.data.max(1)[1].eq(targets).sum().item()
        n = len(self.loader.dataset)
        return total_loss / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--cuda", action="store_true")
    args = parser.parse_args()
    train_set, test_set = torch.load("mnist_train.pt"), torch.load("mnist_test.pt")
    model = LeNetBN()
    if args.cuda:
        model = model.cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    trainer = Trainer(model, torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True), optimizer, args.cuda)
    evaluator = Evaluator(model, torch.utils.data.DataLoader(test_set, batch_size=1000), args.cuda)
    for epoch in range(1, args.epochs + 1):
        trainer.train(epoch)
        test_loss, acc = evaluator.evaluate()
        print("epoch %d: test loss %.4f acc %.4f" % (epoch, test_loss, acc))
    torch.save(model.state_dict(), "lenet_bn.pt")


if __name__ == "__main__":
    main()
