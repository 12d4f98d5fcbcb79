"""Small DCGAN on MNIST written as a top-level script; a progress grid is saved every 500 iterations."""
import argparse
import os

import torch
import torch.nn as nn
import torchvision.utils as vutils
from torchvision import datasets, transforms

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=20)
parser.add_argument('--nz', type=int, default=64)
parser.add_argument('--outf', default='out_dcgan')
opt = parser.parse_args()
os.makedirs(opt.outf, exist_ok=True)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

dataloader = torch.utils.data.DataLoader(
    datasets.MNIST('../data', train=True, download=True, transform=transforms.Compose([
        transforms.Resize(32), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])),
    batch_size=128, shuffle=True, num_workers=2)

netG = nn.Sequential(
    nn.ConvTranspose2d(opt.nz, 256, 4, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
    nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
    nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
    nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), nn.Tanh()).to(device)
netD = nn.Sequential(
    nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(256, 1, 4, 1, 0, bias=False), nn.Flatten(), nn.Sigmoid()).to(device)

criterion = nn.BCELoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
fixed_noise = torch.randn(64, opt.nz, 1, 1, device=device)
iters = 0

for epoch in range(opt.epochs):
    for i, (real, _) in enumerate(dataloader):
        real = real.to(device)
        b = real.size(0)
        ones, zeros = torch.ones(b, 1, device=device), torch.zeros(b, 1, device=device)

        netD.zero_grad()
        fake = netG(torch.randn(b, opt.nz, 1, 1, device=device))
        errD = criterion(netD(real), ones) + criterion(netD(fake.detach()), zeros)
        errD.backward()
        optimizerD.step()

        netG.zero_grad()
        errG = criterion(netD(fake), ones)
        errG.backward()
        optimizerG.step()

        if iters % 500 == 0:
            netG.eval()
            with torch.no_grad():
                grid = netG(fixed_noise).detach().cpu()
            netG.train()
            vutils.save_image(grid, '%s/progress_%06d.png' % (opt.outf, iters), normalize=True)
            print('[%d/%d][%d/%d] Loss_D %.4f Loss_G %.4f' % (epoch, opt.epochs, i, len(dataloader),
                                                              errD.item(), errG.item()))
        iters += 1
    torch.save({'netG': netG.state_dict(), 'netD': netD.state_dict()}, '%s/ckpt_%d.pth' % (opt.outf, epoch))

# final samples for the report
netG.eval()
with torch.no_grad():
    final = netG(torch.randn(256, opt.nz, 1, 1, device=device)).cpu()
vutils.save_image(final, '%s/final_samples.png' % opt.outf, normalize=True, nrow=16)
