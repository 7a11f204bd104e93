"""PyTorch side of bench/pseudo-margin.ts: the authors' pseudo-margin training loop on CPU.

Full-batch Adam(lr=1e-4) on MSELoss for --epochs epochs, the network of the authors'
modeling.py (code) or the paper's text (paper), on random inputs and targets in (0, 1).
Prints one JSON line: {"seconds": ..., "final_loss": ..., "torch": ...}.
"""
import argparse
import json
import time

import torch
from torch import nn


def network(variant, inputs, width):
    if variant == "code":
        return nn.Sequential(nn.Linear(inputs, width), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 1), nn.Sigmoid())
    layers = [nn.Linear(inputs, width), nn.ReLU()]
    for _ in range(4):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, 1), nn.Sigmoid())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--inputs", type=int, default=10)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--epochs", type=int, default=500)
    p.add_argument("--variant", choices=["code", "paper"], default="code")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = network(a.variant, a.inputs, a.width)
    x = torch.randn(a.samples, a.inputs)
    target = torch.rand(a.samples, 1).sqrt()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    loss_fn = nn.MSELoss()
    start = time.perf_counter()
    for _ in range(a.epochs):
        opt.zero_grad()
        loss = loss_fn(net(x), target)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "final_loss": float(loss), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
