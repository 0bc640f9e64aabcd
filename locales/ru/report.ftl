# Отчёт о принятых мерах (`runbook report`), русский. Те же сообщения и переменные,
# что в ../en/report.ftl.

report-title = Меры, принятые на { $host }
report-run = Запуск { $id }: { $runbook }
report-when = С { $started } по { $finished }
report-when-unfinished = Начат { $started }, не завершён
report-outcome-applied = Применено: изменения ниже действуют.
report-outcome-rolled-back = Откачено { $at }: все изменения ниже отменены.
report-outcome-failed = Ошибка: { $error }. Всё сделанное было отменено.
report-outcome-other = Итог: { $outcome }.
report-params = Параметры: { $params }

report-section-found = Что найдено
report-found-fact = { $title }: { $value }
report-found-fact-not-as-wanted = { $title }: { $value } (ожидалось: { $want })
report-found-script = `{ $script }` ({ $class }, uid { $uid }): { $count ->
        [one] { $count } письмо в очереди
        [few] { $count } письма в очереди
       *[other] { $count } писем в очереди
    }{ $site }
report-found-site = , сайт { $site }
report-found-files = файлы: { $paths }
report-class-form = форма или рассыльщик сайта, которым пользуются роботы
report-class-random = скрипт со случайным именем или eval-код: сайт заражён
report-class-cron = без имени скрипта: задание cron или оболочка
report-class-unknown = скрипт сайта
report-by-script = по скриптам: { $counts }
report-by-sender = по отправителям: { $counts }

report-section-changes = Что изменено
report-nothing-changed = На сервере ничего не изменено.
report-file-edited = { $path }: { $added ->
        [one] добавлена { $added } строка
        [few] добавлено { $added } строки
       *[other] добавлено { $added } строк
    }, { $removed ->
        [one] удалена { $removed }
        [few] удалено { $removed }
       *[other] удалено { $removed }
    }
report-file-changed-since = { $path }: изменён (после запуска правился снова)
report-file-gone = { $path }: изменён (файла больше нет)
report-file-restored = { $path }: изменён, затем восстановлен
report-cron-disabled = { $count ->
        [one] { $count } задание cron
        [few] { $count } задания cron
       *[other] { $count } заданий cron
    } пользователя { $user } закомментировано: { $jobs }
report-quarantined = { $count ->
        [one] { $count } письмо перемещено
        [few] { $count } письма перемещены
       *[other] { $count } писем перемещено
    } из очереди { $mta } в карантин запуска (сохранены, не удалены)
report-released = { $count ->
        [one] { $count } замороженное письмо отправлено
        [few] { $count } замороженных письма отправлено
       *[other] { $count } замороженных писем отправлено
    } на доставку ({ $mta })
report-processes-ended = { $count ->
        [one] Завершён { $count } процесс
        [few] Завершено { $count } процесса
       *[other] Завершено { $count } процессов
    } пользователя { $user } (uid { $uid }), его сессии закрыты
report-command-ran = Выполнено: `{ $command }`
report-service-reloaded = { $service } перезагружен после успешной проверки конфигурации

report-section-manual = Осталось сделать вручную
report-no-manual = Ничего.

report-section-undo = Как отменить
report-undo = На сервере от root: `{ $command }`. Файлы вернутся байт в байт, письма из карантина вернутся в очередь; завершённые процессы вернуть нельзя.
report-undo-none = Отменять нечего: { $why }
report-undo-why-rolled-back = запуск уже откачен.
report-undo-why-failed = при ошибке запуск сам отменил свои изменения.
report-undo-why-nothing = он ничего не изменил.
