"""The README demo (placeholder until the NN trainer lands): show a format."""
import fxp


def main():
    fmt = fxp.Format.from_il_fl(2, 14)
    print(f"Gupta et al.'s <2,14> format: {fmt} range [{fmt.min}, {fmt.max}] step {fmt.resolution}")


if __name__ == "__main__":
    main()
