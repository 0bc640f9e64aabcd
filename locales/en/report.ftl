# The measures report (`runbook report`), English. Every message here has its
# translation in ../ru/report.ftl and ../ja/report.ftl, with the same variables.

report-title = Measures taken on { $host }
report-run = Run { $id }: { $runbook }
report-when = From { $started } to { $finished }
report-when-unfinished = Started { $started }, not finished
report-outcome-applied = Applied: the changes below are in place.
report-outcome-rolled-back = Rolled back { $at }: every change below was undone.
report-outcome-failed = Failed: { $error }. Everything it had done was undone.
report-outcome-other = Outcome: { $outcome }.
report-params = Parameters: { $params }

report-section-found = What was found
report-found-fact = { $title }: { $value }
report-found-fact-not-as-wanted = { $title }: { $value } (wanted: { $want })
report-found-script = `{ $script }` ({ $class }, uid { $uid }): { $count ->
        [one] 1 queued message
       *[other] { $count } queued messages
    }{ $site }
report-found-site = , site { $site }
report-found-files = files: { $paths }
report-class-form = a site's form or mailer, abused by robots
report-class-random = a random-named or eval'd script: the site is infected
report-class-cron = no script name: a cron job or a shell
report-class-unknown = a script of the site
report-by-script = by script: { $counts }
report-by-sender = by sender: { $counts }

report-section-changes = What was changed
report-nothing-changed = Nothing on the host was changed.
report-file-edited = { $path }: { $added ->
        [one] 1 line added
       *[other] { $added } lines added
    }, { $removed ->
        [one] 1 removed
       *[other] { $removed } removed
    }
report-file-changed-since = { $path }: changed (edited again since the run)
report-file-gone = { $path }: changed (no longer on the host)
report-file-restored = { $path }: changed, then restored
report-cron-disabled = { $count ->
        [one] 1 cron job
       *[other] { $count } cron jobs
    } of { $user } commented out: { $jobs }
report-quarantined = { $count ->
        [one] 1 message
       *[other] { $count } messages
    } moved from the { $mta } queue into the run's quarantine (kept, not deleted)
report-released = { $count ->
        [one] 1 frozen message
       *[other] { $count } frozen messages
    } released for delivery ({ $mta })
report-processes-ended = { $count ->
        [one] 1 process
       *[other] { $count } processes
    } of { $user } (uid { $uid }) ended, their sessions closed
report-command-ran = Ran `{ $command }`
report-service-reloaded = { $service } reloaded after its configuration test passed

report-section-verify = Whether the fix held
report-verify-once = checked once
report-verify-window = watched { $seconds } s, { $samples ->
        [one] 1 sample
       *[other] { $samples } samples
    }
report-verify-passed = Held: every check passed ({ $over }), { $at }.
report-verify-failed = Did not hold ({ $at }): { $failed } of { $checks ->
        [one] 1 check
       *[other] { $checks } checks
    } failed. The changes stay applied.
report-verify-failed-rolled-back = Did not hold ({ $at }): { $failed } of { $checks ->
        [one] 1 check
       *[other] { $checks } checks
    } failed. The run was rolled back.
report-verify-interrupted = Interrupted ({ $over }), { $at }: the checks held until then.
report-verify-check-held = held: { $title } ({ $numbers })
report-verify-check-failed = FAILED: { $title } ({ $numbers })
report-verify-fact-wanted = { $value }, wanted { $want }
report-verify-unknown = unknown here
report-verify-no-queue = no queue as planned to compare with
report-verify-quiet = { $checked ->
        [0] no source was found to watch
        [one] nothing new from the 1 source found
       *[other] nothing new from the { $checked } sources found
    }
report-verify-still-sending = { $source }: { $count ->
        [one] 1 message
       *[other] { $count } messages
    } queued since, the newest at { $newest }
report-verify-sites-same = { $checked ->
        [0] no site of the scripts is known
        [one] the 1 site answers as before
       *[other] the { $checked } sites answer as before
    }
report-verify-site-changed = { $site } answers { $now }, before the fix { $before }
report-verify-no-answer = nothing
report-verify-no-log = no mail log to count in
report-verify-rate = { $submitted ->
        [one] 1 message
       *[other] { $submitted } messages
    } submitted in { $seconds } s: { $rate }/min, allowed { $allowed }
report-verify-configs-pass = { $checked ->
        [0] no service was reloaded
        [one] the config test passes
       *[other] the { $checked } config tests pass
    }
report-verify-configs-fail = config tests failed: { $complaints }

report-section-manual = Left for a person
report-no-manual = Nothing.

report-section-undo = How to undo
report-undo = On the host, as root: `{ $command }`. Files come back byte for byte and quarantined messages return to the queue; ended processes cannot come back.
report-undo-none = Nothing to undo: { $why }
report-undo-why-rolled-back = the run was rolled back.
report-undo-why-failed = the run undid its own changes when it failed.
report-undo-why-nothing = it changed nothing.
