"""The MovieLens 100K release: where it is published and its checksums."""

#: Where the archive is downloaded from; the environment variable
#: ``AUTOREC_DATA_URL`` (a mirror) takes precedence. Both are read at each call.
URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
ARCHIVE_NAME = "ml-100k.zip"
OFFICIAL_SHA1 = "cd4dcac4241c8a4ad7badc7ca635da8a69dddb83"

CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: "
    "History and Context. ACM Transactions on Interactive Intelligent Systems "
    "5, 4: 19:1-19:19. https://doi.org/10.1145/2827872"
)

#: Size in bytes and SHA-256 of each member of the original release that this
#: module may read. A local archive that is not byte-identical to the official
#: one is accepted member by member against this table.
MEMBER_SHA256 = {
    "u.data": (1_979_173, "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"),
    "u.item": (236_344, "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"),
    "u.user": (22_628, "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"),
    "u.genre": (202, "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb"),
    "u1.base": (1_586_544, "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a"),
    "u1.test": (392_629, "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950"),
    "u2.base": (1_583_948, "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e"),
    "u2.test": (395_225, "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3"),
    "u3.base": (1_582_546, "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d"),
    "u3.test": (396_627, "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d"),
    "u4.base": (1_581_878, "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca"),
    "u4.test": (397_295, "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9"),
    "u5.base": (1_581_776, "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485"),
    "u5.test": (397_397, "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634"),
    "ua.base": (1_792_501, "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2"),
    "ua.test": (186_672, "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42"),
    "ub.base": (1_792_476, "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881"),
    "ub.test": (186_697, "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da"),
}

RELEASE_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]
