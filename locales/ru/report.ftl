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

report-section-verify = Удержалось ли исправление
report-verify-once = проверено один раз
report-verify-window = наблюдение { $seconds } с, { $samples ->
        [one] { $samples } замер
        [few] { $samples } замера
       *[other] { $samples } замеров
    }
report-verify-passed = Удержалось: все проверки пройдены ({ $over }), { $at }.
report-verify-failed = Не удержалось ({ $at }), не пройдено проверок: { $failed } из { $checks }. Изменения остаются в силе.
report-verify-failed-rolled-back = Не удержалось ({ $at }), не пройдено проверок: { $failed } из { $checks }. Запуск откачен.
report-verify-interrupted = Прервано ({ $over }), { $at }: до этого проверки проходили.
report-verify-check-held = пройдено: { $title } ({ $numbers })
report-verify-check-failed = НЕ ПРОЙДЕНО: { $title } ({ $numbers })
report-verify-fact-wanted = { $value }, ожидалось { $want }
report-verify-unknown = здесь неизвестно
report-verify-no-queue = нет очереди на момент плана для сравнения
report-verify-quiet = { $checked ->
        [0] источников для наблюдения не найдено
        [one] от { $checked } найденного источника ничего нового
       *[other] от { $checked } найденных источников ничего нового
    }
report-verify-still-sending = { $source }: с тех пор в очереди { $count ->
        [one] { $count } письмо
        [few] { $count } письма
       *[other] { $count } писем
    }, последнее в { $newest }
report-verify-sites-same = { $checked ->
        [0] сайты скриптов неизвестны
        [one] { $checked } сайт отвечает как раньше
        [few] { $checked } сайта отвечают как раньше
       *[other] { $checked } сайтов отвечают как раньше
    }
report-verify-site-changed = { $site } отвечает { $now }, до исправления { $before }
report-verify-no-answer = ничего
report-verify-no-log = нет почтового журнала для подсчёта
report-verify-rate = { $submitted ->
        [one] { $submitted } письмо отправлено
        [few] { $submitted } письма отправлены
       *[other] { $submitted } писем отправлено
    } за { $seconds } с: { $rate } в минуту, допустимо { $allowed }
report-verify-configs-pass = { $checked ->
        [0] ни одна служба не перезагружалась
        [one] проверка конфигурации проходит
       *[other] проверки конфигурации проходят ({ $checked })
    }
report-verify-configs-fail = проверки конфигурации не прошли: { $complaints }

report-section-manual = Осталось сделать вручную
report-no-manual = Ничего.

report-section-undo = Как отменить
report-undo = На сервере от root: `{ $command }`. Файлы вернутся байт в байт, письма из карантина вернутся в очередь; завершённые процессы вернуть нельзя.
report-undo-none = Отменять нечего: { $why }
report-undo-why-rolled-back = запуск уже откачен.
report-undo-why-failed = при ошибке запуск сам отменил свои изменения.
report-undo-why-nothing = он ничего не изменил.
