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

report-section-manual = Left for a person
report-no-manual = Nothing.

report-section-undo = How to undo
report-undo = On the host, as root: `{ $command }`. Files come back byte for byte and quarantined messages return to the queue; ended processes cannot come back.
report-undo-none = Nothing to undo: { $why }
report-undo-why-rolled-back = the run was rolled back.
report-undo-why-failed = the run undid its own changes when it failed.
report-undo-why-nothing = it changed nothing.
