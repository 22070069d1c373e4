package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.ScoringConfig;
import io.tsforge.io.Storage;

/** The broadcast model exactly as the scoring jobs build it. */
final class ScoringJobsAccess {
    private ScoringJobsAccess() {
    }

    static Scoring.Model model(Config c) {
        return io.tsforge.jobs.ScoringJobs.model(io.tsforge.jobs.ScoringJobs.bundle(Storage.local(),
                ScoringConfig.from(c)));
    }
}
