import Impairment
import Testing

@Suite struct ImpairmentConfigTests {
    @Test func theDefaultConfigurationIsTheIdentity() {
        #expect(ImpairmentConfig().isIdentity)
        #expect(ImpairmentConfig.none.isIdentity)
        #expect(ImpairmentConfig().queueLimit == 1000)
        #expect(ImpairmentConfig().reorderByJitter)
        // Settings that only matter alongside another impairment do not spoil the identity.
        #expect(config { $0.queueLimit = 3; $0.reorderGap = 5; $0.corruptOffset = 28; $0.reorderByJitter = false }.isIdentity)
        #expect(config { $0.burstLoss = GilbertElliott(p: 0, r: 0.5) }.isIdentity)
    }

    @Test(arguments: [
        config { $0.loss = 0.01 }, config { $0.burstLoss = GilbertElliott(p: 0.01, r: 0.5) },
        config { $0.burstLoss = GilbertElliott(p: 0, r: 0.5, lossInBad: 1, lossInGood: 0.1) },
        config { $0.delay = 1 }, config { $0.jitter = 1 }, config { $0.reorder = 0.1 },
        config { $0.duplicate = 0.1 }, config { $0.corrupt = 0.1 }, config { $0.rate = 1000 },
        config { $0.scriptedDrops = [1...1] },
    ])
    func anyImpairmentLeavesTheIdentity(impaired: ImpairmentConfig) throws {
        #expect(!impaired.isIdentity)
        try impaired.validate()
    }

    /// The validation error of the identity configuration edited by `edit`, if any.
    func validationError(_ edit: (inout ImpairmentConfig) -> Void) -> ImpairmentConfigError? {
        do {
            try config(edit).validate()
            return nil
        } catch {
            return error
        }
    }

    @Test func impossibleValuesAreRejectedNamingTheField() {
        let cases: [(field: String, edit: (inout ImpairmentConfig) -> Void)] = [
            ("loss", { $0.loss = 1.5 }),
            ("loss", { $0.loss = -0.1 }),
            ("loss", { $0.loss = .nan }),
            ("duplicate", { $0.duplicate = 2 }),
            ("corrupt", { $0.corrupt = 1.01 }),
            ("reorder", { $0.reorder = -1 }),
            ("burstLoss.p", { $0.burstLoss = GilbertElliott(p: 1.2, r: 0.1) }),
            ("burstLoss.r", { $0.burstLoss = GilbertElliott(p: 0.2, r: -0.1) }),
            ("burstLoss.lossInBad", { $0.burstLoss = GilbertElliott(p: 0.2, r: 0.1, lossInBad: 3) }),
            ("delay", { $0.delay = ImpairmentConfig.maximumDuration + 1 }),
            ("jitter", { $0.jitter = UInt64.max }),
            ("reorderGap", { $0.reorderGap = UInt64.max }),
            ("queueLimit", { $0.queueLimit = -1 }),
            ("corruptOffset", { $0.corruptOffset = -1 }),
            ("rateOverhead", { $0.rateOverhead = -1 }),
            ("scriptedDrops", { $0.scriptedDrops = [4...4, 0...2] }),
        ]
        for (field, edit) in cases {
            #expect(validationError(edit)?.field == field)
        }
        #expect(validationError { $0.loss = 1; $0.duplicate = 1; $0.corrupt = 1; $0.reorder = 1 } == nil)
        #expect(validationError { $0.loss = 1.5 }?.description
            == "loss: 1.5 is not a probability (allowed 0...1, i.e. 0% to 100%)")
    }
}
