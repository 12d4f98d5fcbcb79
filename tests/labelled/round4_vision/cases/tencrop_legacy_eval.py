"""Ten-crop ImageNet validation of a fine-tuned ResNet-152 (script kept from the 0.3 days)."""
import argparse
import time

import torch
import torch.nn as nn
import torchvision.datasets as datasets
import torchvision.models as models
import torchvision.transforms as transforms
from torch.autograd import Variable


class AverageMeter(object):
    def __init__(self):
        self.sum, self.count = 0.0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)


def accuracy(output, target, topk=(1,)):
    maxk = max(topk)
    batch_size = target.size(0)
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.view(1, -1).expand_as(pred))
    return [correct[:k].reshape(-1).float().sum(0) * 100.0 / batch_size for k in topk]


def validate(val_loader, model, criterion):
    losses, top1, top5 = AverageMeter(), AverageMeter(), AverageMeter()
    model.eval()
    end = time.time()
    for i, (input, target) in enumerate(val_loader):
        bs, ncrops, c, h, w = input.size()
        target = target.cuda(non_blocking=True)
        input_var = Variable(input.view(-1, c, h, w).cuda(), volatile=True)
        target_var = Variable(target, volatile=True)

        output = model(input_var)
        output = output.view(bs, ncrops, -1).mean(1)
        loss = criterion(output, target_var)

        prec1, prec5 = accuracy(output.data, target, topk=(1, 5))
        losses.update(loss.data.item(), bs)
        top1.update(prec1.item(), bs)
        top5.update(prec5.item(), bs)
        if i % 50 == 0:
            print("[{0}/{1}]\t{2:.3f}s\tLoss {3:.4f}\tPrec@1 {4:.3f}\tPrec@5 {5:.3f}".format(
                i, len(val_loader), time.time() - end, losses.avg, top1.avg, top5.avg))
            end = time.time()
    print(" * Prec@1 {:.3f} Prec@5 {:.3f}".format(top1.avg, top5.avg))
    return top1.avg


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--resume", default="model_best.pth.tar")
    parser.add_argument("-b", "--batch-size", type=int, default=32)
    args = parser.parse_args()

    model = models.resnet152()
    model = nn.DataParallel(model).cuda()
    checkpoint = torch.load(args.resume)
    model.load_state_dict(checkpoint["state_dict"])
    criterion = nn.CrossEntropyLoss().cuda()

    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    to_tensor = transforms.Compose([transforms.ToTensor(), normalize])
    tf = transforms.Compose([
        transforms.Resize(256),
        transforms.TenCrop(224),
        transforms.Lambda(lambda crops: torch.stack([to_tensor(crop) for crop in crops])),
    ])
    val_loader = torch.utils.data.DataLoader(datasets.ImageFolder(args.data + "/val", tf),
                                             batch_size=args.batch_size, num_workers=8, pin_memory=True)
    validate(val_loader, model, criterion)


if __name__ == "__main__":
    main()
